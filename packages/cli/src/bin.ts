#!/usr/bin/env node
import { main } from './main.js';

// stdout and stderr are synchronous for files and pipes on Linux, so nothing written is lost.
process.exit(await main(process.argv.slice(2)));
