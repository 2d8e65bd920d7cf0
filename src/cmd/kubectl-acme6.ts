#!/usr/bin/env node
// The kubectl plugin: on the PATH as kubectl-acme6, kubectl runs it for `kubectl acme6 ...`.
import { runPlugin } from '../plugin/main.ts';

process.exitCode = await runPlugin(process.argv.slice(2), { out: process.stdout, err: process.stderr });
