/**
 * `npm run deploy:aws -- --stage S --region R (--docker-hub-secret ARN | --image-registry URI)
 * [--existing-vpc ...] [--dry-run]`: the network, the DJL services and the Lambda functions, in
 * that order, each stack's outputs feeding the next (the AWS CLI and `npx serverless`). With
 * --dry-run, prints every command and parameter, outputs as `<stack.Output>`, and runs nothing.
 * Exits 1 when a step failed, 2 on bad arguments. See docs/deploy-aws.md.
 */
import { fileURLToPath } from 'node:url';
import { exitUnlessRun } from '../../shared/cli/command-line';
import { applyPlan, createProcessRunner, DeployStepError, printPlan } from './aws-deploy-apply';
import { AWS_DEPLOY_USAGE, parseAwsDeployArgs } from './aws-deploy-options';
import { planAwsDeploy } from './aws-deploy-plan';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

async function main(): Promise<number> {
  const options = exitUnlessRun(parseAwsDeployArgs(process.argv.slice(2), process.env.API_KEYS ?? ''), AWS_DEPLOY_USAGE);
  const steps = planAwsDeploy(options);
  const write = (text: string): void => { process.stdout.write(text); };
  if (options.dryRun) {
    write(`# npm run deploy:aws --dry-run: ${steps.length} steps, nothing run. <stack.Output> is read from that stack once it is deployed.\n\n`);
    printPlan(steps, write);
    return 0;
  }
  if (options.network.kind === 'new' && options.network.egress === 'endpoints') {
    write('# Egress=endpoints: no internet in the VPC. The DJL tasks download their model from DJL\'s model zoo at start,\n'
      + '# which needs a NAT; use an image that carries the model (docs/deploy-aws.md).\n');
  }
  try {
    const outputs = await applyPlan(steps, createProcessRunner(REPO), write);
    write(`\nDone. The front door: ${outputs.get('functions')?.get('HttpApiUrl') ?? '(no HttpApiUrl output)'}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof DeployStepError)) throw error;
    process.stderr.write(`\ndeploy:aws stopped: ${error.message}\n`);
    return 1;
  }
}

process.exitCode = await main();
