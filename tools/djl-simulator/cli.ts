/**
 * `npm run sim -- [options]`: simulated DJL Serving instances for manual runs and benchmarks.
 * Prints one line per instance and a ready-to-paste backend list; stops on SIGINT or SIGTERM.
 */
import { CLI_USAGE, parseSimulatorCli } from './cli-args';
import { exitUnlessRun } from '../../shared/cli/command-line';
import { startDjlSimulator, type DjlSimulator } from './djl-simulator';

const EXIT_FAILURE = 1;

function describe(sim: DjlSimulator, profile: string): string {
  const { workers, baseMs, perItemMs, serverBatchSize, jobQueueSize, coldStartMs } = sim.options;
  const parts = [
    `${profile}: ${workers} worker${workers === 1 ? '' : 's'}`,
    `${baseMs} ms + ${perItemMs} ms/text`,
    `queue ${jobQueueSize}`,
    ...(serverBatchSize > 1 ? [`server batch ${serverBatchSize}`] : []),
    ...(coldStartMs > 0 ? [`ready in ${coldStartMs} ms`] : []),
  ];
  return `${sim.predictionsUrl}  (${parts.join(', ')})`;
}

async function main(): Promise<void> {
  const plan = exitUnlessRun(parseSimulatorCli(process.argv.slice(2)), CLI_USAGE);

  const sims: DjlSimulator[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(sims.map((sim) => sim.close()));
  };
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(EXIT_FAILURE);
    stopping = true;
    process.stdout.write(`\n${signal}: stopping ${sims.length} simulator(s)\n`);
    void stop().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // One at a time, so consecutive ports are taken in order and a clash names its port.
    for (const options of plan.instances) sims.push(await startDjlSimulator(options));
  } catch (error) {
    process.stderr.write(`Could not start a simulator: ${(error as Error).message}\n`);
    await stop();
    process.exit(EXIT_FAILURE);
  }

  sims.forEach((sim, index) => {
    const name = `DJL simulator ${index + 1}/${sims.length}`;
    process.stdout.write(`${name}: ${describe(sim, plan.profile)}\n`);
    if (sim.options.coldStartMs === 0) return;
    // After a cold start the port is bound late, so a clash only shows up now.
    sim.whenReady().then(
      () => process.stdout.write(`${name} is ready: ${sim.url}\n`),
      (error: Error) => {
        if (stopping) return;
        process.stderr.write(`${name} failed to start: ${error.message}\n`);
        void stop().then(() => process.exit(EXIT_FAILURE));
      },
    );
  });
  const tier = plan.profile === 'gpu' ? 'GPU' : 'CPU';
  process.stdout.write(`\n${tier}_BACKENDS=${sims.map((sim) => sim.predictionsUrl).join(',')}\n\nCtrl-C stops them.\n`);
}

await main();
