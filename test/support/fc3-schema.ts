// The fc3 component's function props and triggers as a zod schema, written from its schema.json and Alibaba's
// FC 3.0 API reference (the component itself only logs schema problems at debug level), strict: a misspelt
// prop fails here instead of being dropped at deploy.
import { z } from 'zod';

const RUNTIMES = ['nodejs20', 'nodejs18', 'custom.debian10', 'custom.debian11', 'custom.debian12', 'custom', 'custom-container'] as const;
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS'] as const;
export const OSS_EVENTS = [
  'oss:ObjectCreated:PutObject',
  'oss:ObjectCreated:PostObject',
  'oss:ObjectCreated:CompleteMultipartUpload',
  'oss:ObjectCreated:CopyObject',
  'oss:ObjectCreated:AppendObject',
  'oss:ObjectCreated:PutSymlink',
  'oss:ObjectCreated:InitiateMultipartUpload',
  'oss:ObjectCreated:UploadPart',
  'oss:ObjectCreated:UploadPartCopy',
  'oss:ObjectCreated:*',
  'oss:ObjectRemoved:DeleteObject',
  'oss:ObjectRemoved:DeleteObjects',
  'oss:ObjectRemoved:AbortMultipartUpload',
  'oss:ObjectModified:UpdateObjectMeta',
] as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A destination of an async invocation: a function, an MNS queue or topic, EventBridge (FC's Destination type). */
const DESTINATION = /^acs:(fc|mns|eventbridge|rocketmq|kafka):[a-z0-9-]*:[^:]*:\S+$/;

const httpTrigger = z.strictObject({
  triggerName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/),
  triggerType: z.literal('http'),
  description: z.string().max(256).optional(),
  qualifier: z.string().optional(),
  triggerConfig: z.strictObject({
    authType: z.enum(['anonymous', 'function', 'jwt']),
    methods: z.array(z.enum(HTTP_METHODS)).min(1),
    disableURLInternet: z.boolean().optional(),
    authConfig: z.unknown().optional(),
  }),
});
const timerTrigger = z.strictObject({
  triggerName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/),
  triggerType: z.literal('timer'),
  description: z.string().max(256).optional(),
  qualifier: z.string().optional(),
  triggerConfig: z.strictObject({
    cronExpression: z.string().regex(/^(@every \d+[mh]|(CRON_TZ=\S+ )?\S+( \S+){5})$/, '6-field cron (seconds first) or @every Nm'),
    enable: z.boolean(),
    payload: z.string().max(128 * 1024).optional(),
  }),
});
const ossTrigger = z.strictObject({
  triggerName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/),
  triggerType: z.literal('oss'),
  description: z.string().max(256).optional(),
  qualifier: z.string().optional(),
  // fc3 has no bucketName: the bucket is the source ARN
  sourceArn: z.string().regex(/^acs:oss:[a-z0-9-]+:[^:]+:[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/),
  invocationRole: z.string().optional(),
  triggerConfig: z.strictObject({
    events: z.array(z.enum(OSS_EVENTS)).min(1),
    filter: z.strictObject({ key: z.strictObject({ prefix: z.string().max(1024), suffix: z.string().max(1024) }) }),
  }),
});

const eventbridgeTrigger = z.strictObject({
  triggerName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/),
  triggerType: z.literal('eventbridge'),
  description: z.string().max(256).optional(),
  qualifier: z.string().optional(),
  triggerConfig: z.strictObject({
    triggerEnable: z.boolean(),
    asyncInvocationType: z.boolean().optional(),
    eventRuleFilterPattern: z.string().refine((p) => {
      try {
        const v: unknown = JSON.parse(p);
        return typeof v === 'object' && v !== null && !Array.isArray(v);
      } catch {
        return false;
      }
    }, 'a JSON object'),
    eventSourceConfig: z.strictObject({ eventSourceType: z.enum(['Default', 'MNS', 'RocketMQ', 'RabbitMQ', 'Kafka', 'MQTT', 'DTS']), eventSourceParameters: z.unknown().optional() }),
    eventSinkConfig: z.strictObject({ deliveryOption: z.strictObject({ mode: z.string().optional(), eventSchema: z.enum(['CloudEvents', 'RawData']) }) }).optional(),
    runOptions: z.unknown().optional(),
  }),
});

export const fc3TriggerSchema = z.discriminatedUnion('triggerType', [httpTrigger, timerTrigger, ossTrigger, eventbridgeTrigger]);

export const fc3FunctionPropsSchema = z
  .strictObject({
    region: z.string().regex(/^[a-z]{2}-[a-z0-9-]+$/),
    functionName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/),
    description: z.string().max(256).optional(),
    runtime: z.enum(RUNTIMES),
    code: z.string().min(1),
    handler: z.string().min(1).optional(),
    timeout: z.number().int().min(1).max(86_400),
    memorySize: z.number().int().min(128).max(32_768).multipleOf(64),
    cpu: z.number().min(0.05).max(16).refine((c) => Math.abs(c * 20 - Math.round(c * 20)) < 1e-9, 'a multiple of 0.05 vCPU').optional(),
    diskSize: z.union([z.literal(512), z.literal(10_240)]).optional(),
    instanceConcurrency: z.number().int().min(1).max(200).optional(),
    environmentVariables: z.record(z.string().regex(ENV_NAME), z.string()).optional(),
    role: z.string().min(1).optional(),
    logConfig: z.union([z.literal('auto'), z.strictObject({ project: z.string(), logstore: z.string(), enableRequestMetrics: z.boolean().optional(), enableInstanceMetrics: z.boolean().optional(), logBeginRule: z.string().optional() })]).optional(),
    vpcConfig: z.union([z.literal('auto'), z.strictObject({ vpcId: z.string(), vSwitchIds: z.array(z.string()).min(1), securityGroupId: z.string() })]).optional(),
    layers: z.array(z.string().regex(/^acs:fc:[a-z0-9-]+:[^:]+:layers\/[^/]+\/versions\/\d+$/)).max(5).optional(),
    customRuntimeConfig: z
      .strictObject({
        command: z.array(z.string().min(1)).min(1),
        args: z.array(z.string()).optional(),
        port: z.number().int().min(1).max(65_535).optional(),
        healthCheckConfig: z.unknown().optional(),
      })
      .optional(),
    instanceLifecycleConfig: z.unknown().optional(),
    asyncInvokeConfig: z
      .strictObject({
        maxAsyncRetryAttempts: z.number().int().min(0).max(8).optional(),
        // the component's schema allows 2592000; the API documents 604800: the stricter holds
        maxAsyncEventAgeInSeconds: z.number().int().min(1).max(604_800).optional(),
        destinationConfig: z
          .strictObject({
            onSuccess: z.strictObject({ destination: z.string().regex(DESTINATION) }).optional(),
            onFailure: z.strictObject({ destination: z.string().regex(DESTINATION) }).optional(),
          })
          .optional(),
        asyncTask: z.boolean().optional(),
        qualifier: z.string().optional(),
      })
      .optional(),
    triggers: z.array(fc3TriggerSchema).optional(),
  })
  .superRefine((p, ctx) => {
    if (!p.runtime.startsWith('custom') && !p.handler) ctx.addIssue({ code: 'custom', message: 'handler is required unless the runtime is custom', path: ['handler'] });
    if (p.runtime.startsWith('custom') && !p.customRuntimeConfig) ctx.addIssue({ code: 'custom', message: 'a custom runtime needs customRuntimeConfig', path: ['customRuntimeConfig'] });
    if (!p.runtime.startsWith('custom') && (p.instanceConcurrency ?? 1) > 1) ctx.addIssue({ code: 'custom', message: 'built-in runtimes serve one request per instance', path: ['instanceConcurrency'] });
    // FC 3.0: between 1 GB and 4 GB of memory per vCPU
    if (p.cpu !== undefined) {
      const gbPerCpu = p.memorySize / 1024 / p.cpu;
      if (gbPerCpu < 1 || gbPerCpu > 4) ctx.addIssue({ code: 'custom', message: `memorySize/cpu is ${gbPerCpu.toFixed(2)} GB per vCPU; FC allows 1 to 4`, path: ['cpu'] });
    }
    const env = p.environmentVariables ?? {};
    for (const k of Object.keys(env)) if (k.startsWith('FC_')) ctx.addIssue({ code: 'custom', message: `${k}: the FC_ prefix is reserved`, path: ['environmentVariables', k] });
    const httpTriggers = (p.triggers ?? []).filter((t) => t.triggerType === 'http');
    if (httpTriggers.length > 1) ctx.addIssue({ code: 'custom', message: 'one HTTP trigger per function version', path: ['triggers'] });
  });

export type Fc3FunctionProps = z.infer<typeof fc3FunctionPropsSchema>;
