// Command client-go-elector takes part in one leader election the way Go controllers do: with
// client-go's leaderelection package and a LeaseLock on a coordination.k8s.io/v1 Lease. Tests
// run it beside Baton candidates on the same Lease to check that the two can share it.
//
// It prints one JSON object per line on stdout, for a test to read:
//
//	{"event":"ready",...}            configuration loaded, campaign about to start
//	{"event":"new-leader","leader":"id",...}   client-go observed a new holder ("" after a release)
//	{"event":"started-leading",...}  this process became the leader
//	{"event":"stopped-leading",...}  this process stopped leading (lost, or released on SIGTERM)
//	{"event":"exit","reason":"signal"|"lost",...}
//
// SIGTERM or SIGINT ends the campaign; a leader then releases the Lease (ReleaseOnCancel) so a
// successor takes over at once. Every line has "identity" and "time" (RFC 3339, UTC, ns).
//
// Exit status: 0 after a signal, 3 after losing leadership (unless -rejoin), 2 for bad flags,
// 1 when the client cannot be configured.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

type options struct {
	kubeconfig    string
	context       string
	namespace     string
	name          string
	identity      string
	leaseDuration time.Duration
	renewDeadline time.Duration
	retryPeriod   time.Duration
	rejoin        bool
}

// reporter writes the event lines; callbacks run on goroutines of their own, so writes are serialised.
type reporter struct {
	mu       sync.Mutex
	identity string
	lease    string
	leading  bool
}

type event struct {
	Event    string `json:"event"`
	Identity string `json:"identity"`
	Lease    string `json:"lease"`
	Time     string `json:"time"`
	Leader   string `json:"leader,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func (r *reporter) emitLocked(e event) {
	e.Identity = r.identity
	e.Lease = r.lease
	e.Time = time.Now().UTC().Format(time.RFC3339Nano)
	line, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	// os.Stdout is unbuffered: each line reaches the reader as soon as it is written.
	fmt.Fprintln(os.Stdout, string(line))
}

func (r *reporter) emit(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emitLocked(e)
}

func (r *reporter) startedLeading() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.leading = true
	r.emitLocked(event{Event: "started-leading"})
}

// stoppedLeading is also called by client-go when a campaign ends without ever leading; that is
// not reported.
func (r *reporter) stoppedLeading() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.leading {
		return
	}
	r.leading = false
	r.emitLocked(event{Event: "stopped-leading"})
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("client-go-elector", flag.ContinueOnError)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster service account)")
	fs.StringVar(&o.context, "context", "", "kubeconfig context (default: its current context)")
	fs.StringVar(&o.namespace, "namespace", "", "namespace of the Lease (default: the context's namespace)")
	fs.StringVar(&o.name, "name", "", "name of the Lease (required)")
	fs.StringVar(&o.identity, "identity", "", "this candidate's holderIdentity (required, unique)")
	fs.DurationVar(&o.leaseDuration, "lease-duration", 15*time.Second, "LeaseDuration: how long others wait after the last renewal they saw")
	fs.DurationVar(&o.renewDeadline, "renew-deadline", 10*time.Second, "RenewDeadline: how long the leader retries renewing before it gives up")
	fs.DurationVar(&o.retryPeriod, "retry-period", 2*time.Second, "RetryPeriod: time between tries")
	fs.BoolVar(&o.rejoin, "rejoin", false, "campaign again after losing leadership instead of exiting with status 3")
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	fs.Var(klogFlags.Lookup("v").Value, "v", "client-go log verbosity (logs go to stderr)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.name == "" || o.identity == "" {
		return o, fmt.Errorf("-name and -identity are required")
	}
	return o, nil
}

func restConfig(o *options) (*rest.Config, error) {
	if o.kubeconfig == "" {
		config, err := rest.InClusterConfig()
		if err != nil {
			return nil, err
		}
		if o.namespace == "" {
			namespace, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
			if err != nil {
				return nil, fmt.Errorf("no -namespace and no service account namespace: %w", err)
			}
			o.namespace = string(namespace)
		}
		return config, nil
	}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: o.kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: o.context},
	)
	if o.namespace == "" {
		namespace, _, err := loader.Namespace()
		if err != nil {
			return nil, err
		}
		o.namespace = namespace
	}
	return loader.ClientConfig()
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "client-go-elector:", err)
		os.Exit(2)
	}
	config, err := restConfig(&o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "client-go-elector:", err)
		os.Exit(1)
	}
	// As kube-controller-manager does for its election client: no single call may outlast half
	// the renew deadline, so a hung server cannot stall a renewal past it.
	config.Timeout = o.renewDeadline / 2
	config.UserAgent = "baton-client-go-elector"
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "client-go-elector:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	r := &reporter{identity: o.identity, lease: o.namespace + "/" + o.name}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: o.namespace, Name: o.name},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: o.identity},
	}
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   o.leaseDuration,
		RenewDeadline:   o.renewDeadline,
		RetryPeriod:     o.retryPeriod,
		ReleaseOnCancel: true,
		Name:            o.name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { r.startedLeading() },
			OnStoppedLeading: r.stoppedLeading,
			OnNewLeader:      func(identity string) { r.emit(event{Event: "new-leader", Leader: identity}) },
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "client-go-elector:", err)
		os.Exit(2)
	}

	r.emit(event{Event: "ready"})
	for {
		// Run returns when ctx ends (after releasing the Lease if leading) or when leadership is lost.
		elector.Run(ctx)
		if ctx.Err() != nil {
			r.emit(event{Event: "exit", Reason: "signal"})
			return
		}
		if !o.rejoin {
			r.emit(event{Event: "exit", Reason: "lost"})
			os.Exit(3)
		}
	}
}
