// Builds the controller's http-01 solver from its flags.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../../runtime/clock.ts';
import { Http01ChallengeSolver } from './challenge-solver.ts';
import { KubeSolverObjectStore } from './kube-objects.ts';
import { NetworkSelfChecker } from './network-self-check.ts';
import { AddressResolver } from './resolve.ts';

/** The controller's http-01 flags. */
export interface Http01Options {
  /** Solver pod image; its entrypoint must be acme6. */
  image: string;
  /** Nameservers (IP:port) for the self-check's A/AAAA lookups; empty: the system's. */
  nameservers: string[];
  /** Port the self-check dials first (80; a testbed's ingress may listen elsewhere). */
  selfCheckPort: number;
  /** Port of an https redirect that names none (443). */
  selfCheckHttpsPort: number;
}

export function createHttp01Solver(kubeConfig: KubeConfig, clock: Clock, options: Http01Options) {
  const checker = new NetworkSelfChecker(new AddressResolver(options.nameservers), {
    httpPort: options.selfCheckPort,
    httpsPort: options.selfCheckHttpsPort,
  });
  return new Http01ChallengeSolver(new KubeSolverObjectStore(kubeConfig), checker, clock, {
    image: options.image,
  });
}
