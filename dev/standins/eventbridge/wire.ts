// The PutEvents wire format as the SDK sends it and the stand-in reads it: a JSON array of CloudEvents
// whose extensions (the bus name among them) are top-level attributes.
import { z } from 'zod';

export const PUT_EVENTS_PATH = '/openapi/putEvents';
export const PUT_EVENTS_CONTENT_TYPE = 'application/cloudevents-batch+json; charset=utf-8';
export const EVENTBRIDGE_VERSION = '2015-06-06';

export const wireEventSchema = z.looseObject({
  id: z.string().optional(),
  source: z.string().optional(),
  type: z.string().optional(),
  specversion: z.string().optional(),
  subject: z.string().optional(),
  time: z.string().optional(),
  datacontenttype: z.string().optional(),
  data: z.unknown().optional(),
  data_base64: z.string().optional(),
  aliyuneventbusname: z.string().optional(),
});
export const putEventsBodySchema = z.array(wireEventSchema);

export type WireEvent = z.infer<typeof wireEventSchema>;

export interface WireEntry {
  EventId: string;
  TraceId: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

/** What the service answers to a PutEvents it took (some entries may still have failed). */
export interface PutEventsAnswer {
  RequestId: string;
  ResourceOwnerAccountId: string;
  FailedEntryCount: number;
  EntryList: WireEntry[];
}

/** Why an entry cannot be taken at all, whatever faults are armed; undefined when it is well formed. */
export function entryProblem(event: WireEvent, buses: ReadonlySet<string>): { code: string; message: string } | undefined {
  for (const k of ['id', 'source', 'type', 'specversion'] as const) {
    if (!event[k]) return { code: 'InvalidArgument', message: `The CloudEvent attribute ${k} is required.` };
  }
  if (!event.aliyuneventbusname) return { code: 'InvalidArgument', message: 'The attribute aliyuneventbusname is required.' };
  if (!buses.has(event.aliyuneventbusname)) return { code: 'EventBusNotExist', message: `The event bus ${event.aliyuneventbusname} does not exist.` };
  return undefined;
}

/** The data-plane calls besides PutEvents, as the SDK sends them (JSON bodies, PascalCase names). */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
export const API_PATHS = {
  putEvents: PUT_EVENTS_PATH,
  getEventBus: '/openapi/getEventBus',
  createEventBus: '/openapi/createEventBus',
  queryEventsByPeriod: '/openapi/queryEventsByPeriod',
  queryEventsByEventIds: '/openapi/queryEventsByEventIds',
  getRule: '/openapi/getRule',
  createRule: '/openapi/createRule',
  updateRule: '/openapi/updateRule',
  createTargets: '/openapi/createTargets',
  deleteTargets: '/openapi/deleteTargets',
} as const;
export type ApiAction = keyof typeof API_PATHS;

export const getEventBusBodySchema = z.object({ EventBusName: z.string().min(1) });
export const createEventBusBodySchema = z.object({ EventBusName: z.string().min(1), Description: z.string().optional(), Tags: z.record(z.string(), z.string()).optional() });
export const queryEventsByPeriodBodySchema = z.object({
  EventBusName: z.string().min(1),
  EventSource: z.string().optional(),
  EventType: z.string().optional(),
  /** Epoch ms, both ends included. */
  StartTime: z.number(),
  EndTime: z.number(),
  Limit: z.number().int().positive().optional(),
  NextToken: z.string().optional(),
});
export const queryEventsByIdsBodySchema = z.object({ EventBusName: z.string().min(1), EventSourceName: z.string().optional(), EventIds: z.array(z.string()).min(1) });

/** A rule's target as the SDK sends it (`TargetEntry`, PascalCase). */
export const wireTargetSchema = z.looseObject({
  Id: z.string().min(1),
  Type: z.string().optional(),
  Endpoint: z.string().optional(),
  PushRetryStrategy: z.string().optional(),
  ParamList: z.array(z.looseObject({ ResourceKey: z.string(), Form: z.string(), Value: z.string().optional(), Template: z.string().optional() })).optional(),
});
export type WireTarget = z.infer<typeof wireTargetSchema>;
const ruleStatus = z.enum(['ENABLE', 'DISABLE']);
export const getRuleBodySchema = z.object({ EventBusName: z.string().min(1), RuleName: z.string().min(1) });
export const createRuleBodySchema = z.object({
  EventBusName: z.string().min(1),
  RuleName: z.string().min(1),
  Description: z.string().optional(),
  Status: ruleStatus.optional(),
  FilterPattern: z.string().optional(),
  Targets: z.array(wireTargetSchema).default([]),
});
export const updateRuleBodySchema = z.object({
  EventBusName: z.string().min(1),
  RuleName: z.string().min(1),
  Description: z.string().optional(),
  Status: ruleStatus.optional(),
  FilterPattern: z.string().optional(),
});
export const createTargetsBodySchema = z.object({ EventBusName: z.string().min(1), RuleName: z.string().min(1), Targets: z.array(wireTargetSchema).min(1) });
export const deleteTargetsBodySchema = z.object({ EventBusName: z.string().min(1), RuleName: z.string().min(1), TargetIds: z.array(z.string().min(1)).min(1) });
