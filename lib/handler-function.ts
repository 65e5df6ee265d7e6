import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { handlerEntry, type HandlerId } from '../functions/shared/routes';
import { measuredHandlers, type FunctionEnvironment } from './function-environment';
import { bundleExternals, bundleTarget, requireShim, withoutRuntimeSourceMaps } from './bundling';
import { acknowledge } from './nag';
import { metricsNamespace } from './monitoring';
import type { OmnichatSettings } from './settings';

/** The Node.js line the handlers are built for; the local runtime runs the same one. */
export const handlerRuntime = Runtime.NODEJS_22_X;


export interface HandlerFunctionOptions {
  /** Defaults to 10 s, enough for a webhook that must answer Meta within 5 s. */
  readonly timeout?: Duration;
  /** A fixed name, for functions whose ARN must be known before they exist. */
  readonly functionName?: string;
}

/**
 * Builds every Lambda of the stack the same way: one handler module bundled by the local
 * esbuild into a minified ES module for Node 22 on arm64, its own log group, active tracing,
 * a role that starts with nothing but writing its logs, and the environment variables the
 * handler reads.
 */
export class HandlerFunctions {
  constructor(
    private readonly environment: FunctionEnvironment,
    private readonly settings: OmnichatSettings,
    private readonly projectRoot: string = process.cwd(),
  ) {}

  create(scope: Construct, id: string, handler: HandlerId, options: HandlerFunctionOptions = {}): NodejsFunction {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: this.settings.logRetentionDays,
      removalPolicy: this.settings.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // A role of our own, so the function gets no AWS managed policy and may only write its own log group.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the Omnichat ${handler} handler`,
    });
    logGroup.grantWrite(role);

    const fn = new NodejsFunction(scope, id, {
      entry: path.join(this.projectRoot, handlerEntry(handler)),
      handler: 'handler',
      projectRoot: this.projectRoot,
      depsLockFilePath: path.join(this.projectRoot, 'package-lock.json'),
      description: `Omnichat ${handler}`,
      functionName: options.functionName,
      runtime: handlerRuntime,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: options.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        ...this.environment.forHandler(handler),
        ...(withoutRuntimeSourceMaps.has(handler) ? {} : { NODE_OPTIONS: '--enable-source-maps' }),
        ...(measuredHandlers.has(handler) ? { POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(Stack.of(scope)) } : {}),
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: bundleTarget,
        minify: true,
        sourceMap: true,
        // Stack traces need names and lines, not the sources: keeps the map a fraction of its size.
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: requireShim,
        externalModules: bundleExternals,
        // esbuild prints a size summary per bundle at its default level; `cdk synth --quiet` stays quiet.
        logLevel: LogLevel.WARNING,
      },
    });

    acknowledge(
      fn,
      'AwsSolutions-L1',
      'Handlers are built for and tested on Node 22, the line the local runtime uses; moving to a newer runtime is a deliberate upgrade of both.',
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so active tracing needs Resource "*".',
    );
    return fn;
  }
}
