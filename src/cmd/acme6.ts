#!/usr/bin/env node
// The acme6 program: one binary (and one container image) for every role.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2), { out: process.stdout, err: process.stderr });
