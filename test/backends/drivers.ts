import { consulDriver } from './consul.js';
import type { BackendDriver } from './driver.js';
import { etcdDriver } from './etcd.js';
import { kubernetesDriver } from './kubernetes.js';
import { postgresDriver } from './postgres.js';
import { redisDriver } from './redis.js';
import type { BackendKind } from './types.js';
import { zookeeperDriver } from './zookeeper.js';

const DRIVERS: Readonly<Record<BackendKind, BackendDriver>> = {
  etcd: etcdDriver,
  zookeeper: zookeeperDriver,
  consul: consulDriver,
  redis: redisDriver,
  postgres: postgresDriver,
  kubernetes: kubernetesDriver,
};

export function driverFor(kind: BackendKind): BackendDriver {
  const driver = DRIVERS[kind];
  if (!driver)
    throw new Error(
      `unknown backend kind ${JSON.stringify(kind)}; expected etcd, zookeeper, consul, redis, postgres or kubernetes`,
    );
  return driver;
}
