// `node operator/src/main.ts`: the operator in a pod (in-cluster ServiceAccount) or on a laptop
// (KUBECONFIG). Exits non-zero when it loses the lease, so Kubernetes restarts it clean.
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { operatorConfigFromEnv } from './config.ts';
import { Operator } from './Operator.ts';

const config = operatorConfigFromEnv();
const log = pino({ name: 'vilokanam-operator', level: config.logLevel });
const kc = new KubeConfig();
kc.loadFromDefault();

const operator = new Operator(kc, config, log);
let stopping = false;
let led = false;
operator.on('leading', (leading) => {
  if (leading) led = true;
  else if (led && !stopping) {
    log.error('lost leadership; exiting so a fresh process campaigns again');
    process.exit(1);
  }
});
await operator.start();
process.stdout.write(`vilokanam-operator ${config.identity} metrics ${operator.metricsUrl}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    operator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
