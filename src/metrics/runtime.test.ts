import { describe, expect, it } from 'vitest';
import { FakeClock } from '../runtime/clock.ts';
import { Controller } from '../runtime/controller.ts';
import { TerminalError } from '../runtime/errors.ts';
import { settle } from '../runtime/testing.ts';
import { WorkQueue } from '../runtime/workqueue.ts';
import { recordAgentSync } from './agent.ts';
import { recordSelfCheckFailure } from './solvers.ts';
import { registry } from './registry.ts';
import { controllerMetrics, setLeaderStatus, workQueueMetrics } from './runtime.ts';

const value = async (name: string, labels = ''): Promise<number | undefined> => {
  const line = (await registry.metrics())
    .split('\n')
    .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(labels));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

describe('runtime metrics under controller-runtime names', () => {
  it('counts adds, retries and reconciles by result for one controller', async () => {
    const clock = new FakeClock();
    const outcomes = [new Error('flaky'), new TerminalError('bad'), undefined];
    const controller = new Controller({
      name: 'unit-test',
      clock,
      queue: new WorkQueue({ clock, metrics: workQueueMetrics('unit-test') }),
      metrics: controllerMetrics('unit-test'),
      reconcile: () => {
        const outcome = outcomes.shift();
        return outcome ? Promise.reject(outcome) : Promise.resolve({});
      },
    });
    expect(await value('workqueue_depth', 'name="unit-test"')).toBe(0);
    controller.queue.add('ns/a');
    expect(await value('workqueue_depth', 'name="unit-test"')).toBe(1);
    controller.start();
    await settle();
    clock.advance(1000); // the retry after the first failure
    await settle();
    controller.queue.add('ns/a');
    await settle();
    await controller.stop();

    expect(await value('workqueue_adds_total', 'name="unit-test"')).toBe(3);
    expect(await value('workqueue_retries_total', 'name="unit-test"')).toBe(1);
    expect(await value('controller_runtime_reconcile_total', 'controller="unit-test",result="error"')).toBe(
      1,
    );
    expect(
      await value('controller_runtime_reconcile_total', 'controller="unit-test",result="terminal"'),
    ).toBe(1);
    expect(await value('controller_runtime_reconcile_total', 'controller="unit-test",result="success"')).toBe(
      1,
    );
    expect(await value('controller_runtime_reconcile_errors_total', 'controller="unit-test"')).toBe(2);
    expect(await value('controller_runtime_reconcile_time_seconds_count', 'controller="unit-test"')).toBe(3);
  });

  it('reports leadership, self-check failures and agent syncs', async () => {
    setLeaderStatus('unit-lease', true);
    expect(await value('leader_election_master_status', 'name="unit-lease"')).toBe(1);
    setLeaderStatus('unit-lease', false);
    expect(await value('leader_election_master_status', 'name="unit-lease"')).toBe(0);

    recordSelfCheckFailure('http-01', 'ipv6');
    recordSelfCheckFailure('http-01', 'ipv6');
    expect(await value('acme6_self_check_failures_total', 'type="http-01",family="ipv6"')).toBe(2);

    recordAgentSync({ reason: 'resync', seconds: 0.02, ok: true, rules: 12 });
    recordAgentSync({ reason: 'canary', seconds: 0.5, ok: false });
    expect(await value('acme6_agent_rules')).toBe(12);
    expect(await value('acme6_agent_sync_failures_total', 'reason="canary"')).toBe(1);
    expect(await value('acme6_agent_sync_duration_seconds_count', 'reason="resync"')).toBe(1);
  });
});
