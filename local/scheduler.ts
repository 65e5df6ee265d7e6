import { z } from 'zod';
import { AwsServiceError, parseInput } from './aws-wire';
import { jsonStore, type JsonStore } from './store';

const target = z.looseObject({
  Arn: z.string().min(1),
  RoleArn: z.string().min(1),
  Input: z.string().optional(),
  RetryPolicy: z.looseObject({ MaximumRetryAttempts: z.number().optional() }).optional(),
});
const flexibleTimeWindow = z.looseObject({ Mode: z.enum(['OFF', 'FLEXIBLE']), MaximumWindowInMinutes: z.number().optional() });
const scheduleInput = z.object({
  ScheduleExpression: z.string().min(1),
  ScheduleExpressionTimezone: z.string().optional(),
  Target: target,
  FlexibleTimeWindow: flexibleTimeWindow,
  GroupName: z.string().optional(),
  State: z.enum(['ENABLED', 'DISABLED']).optional(),
  Description: z.string().optional(),
  ActionAfterCompletion: z.enum(['NONE', 'DELETE']).optional(),
  ClientToken: z.string().optional(),
});
const schedule = z.object({
  name: z.string(),
  groupName: z.string(),
  arn: z.string(),
  scheduleExpression: z.string(),
  timezone: z.string().optional(),
  state: z.enum(['ENABLED', 'DISABLED']),
  description: z.string().optional(),
  target,
  flexibleTimeWindow,
  actionAfterCompletion: z.enum(['NONE', 'DELETE']),
  createdAt: z.number(),
  modifiedAt: z.number(),
  dueAt: z.number(),
  completed: z.boolean(),
});
const schedulesFile = z.object({ schedules: z.record(z.string(), schedule) });
type Schedule = z.infer<typeof schedule>;
type SchedulesFile = z.infer<typeof schedulesFile>;

export interface SchedulerOptions {
  /** Persist pending schedules here; memory only when absent. */
  file?: string;
  region: string;
  /** Delivers the parsed `Target.Input` to the target (the timer function); rejects if the function failed. */
  deliver(event: unknown, schedule: { name: string; groupName: string; targetArn: string }): Promise<void>;
  /** Called when the target could not be reached at all (AWS sends those deliveries to the schedule's DLQ). */
  deadLetter(input: string, error: unknown, schedule: { name: string; groupName: string; targetArn: string }): Promise<void>;
  log(line: string): void;
  /** Delay between Lambda's asynchronous retries (minutes in AWS, short locally). */
  retryDelayMs?: number;
}

const namePattern = /^[0-9a-zA-Z\-_.]{1,64}$/;
const atExpression = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;
const maxTimerMs = 2 ** 31 - 1;
/** Lambda retries a failed asynchronous invocation twice. */
const asyncRetries = 2;

/**
 * EventBridge Scheduler (restJson1) for one-time `at()` schedules. A due schedule invokes its target
 * in-process at the exact second given (AWS may be up to a minute late), then is deleted if
 * ActionAfterCompletion is DELETE. Pending schedules survive restarts; overdue ones fire at once.
 */
export class SchedulerEmulator {
  private readonly store: JsonStore<SchedulesFile>;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly firing = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {
    this.store = jsonStore(options.file, schedulesFile, { schedules: {} });
  }

  /** Arms every pending schedule read from the store. */
  start(): void {
    for (const s of Object.values(this.store.read().schedules)) this.arm(s);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.firing]);
  }

  /** Serves `/schedules[/{Name}]`; returns undefined for paths that are not the Scheduler's. */
  handle(method: string, url: URL, input: unknown): { status: number; body: unknown } | undefined {
    const match = /^\/schedules(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) return undefined;
    const name = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
    const groupName = url.searchParams.get('groupName') ?? 'default';
    if (name === undefined) {
      if (method === 'GET') return { status: 200, body: this.list(url.searchParams.get('ScheduleGroup') ?? undefined) };
      throw new AwsServiceError(405, 'ValidationException', `${method} /schedules is not supported`);
    }
    switch (method) {
      case 'POST':
        return { status: 200, body: this.create(name, parseInput(scheduleInput, input, 'ValidationException')) };
      case 'PUT':
        return { status: 200, body: this.update(name, parseInput(scheduleInput, input, 'ValidationException')) };
      case 'GET':
        return { status: 200, body: this.describe(this.find(groupName, name)) };
      case 'DELETE':
        this.find(groupName, name);
        this.remove(key(groupName, name));
        return { status: 200, body: {} };
      default:
        throw new AwsServiceError(405, 'ValidationException', `${method} is not supported`);
    }
  }

  private create(name: string, input: z.infer<typeof scheduleInput>) {
    const groupName = input.GroupName ?? 'default';
    if (this.store.read().schedules[key(groupName, name)]) {
      throw new AwsServiceError(409, 'ConflictException', `Schedule ${name} already exists.`);
    }
    const created = this.build(name, input, Date.now());
    this.save(created);
    this.arm(created);
    return { ScheduleArn: created.arn };
  }

  private update(name: string, input: z.infer<typeof scheduleInput>) {
    const existing = this.find(input.GroupName ?? 'default', name);
    const updated = { ...this.build(name, input, Date.now()), createdAt: existing.createdAt };
    this.disarm(key(updated.groupName, name));
    this.save(updated);
    this.arm(updated);
    return { ScheduleArn: updated.arn };
  }

  private build(name: string, input: z.infer<typeof scheduleInput>, now: number): Schedule {
    if (!namePattern.test(name)) throw new AwsServiceError(400, 'ValidationException', `Invalid schedule name ${name}`);
    const groupName = input.GroupName ?? 'default';
    return {
      name,
      groupName,
      arn: `arn:aws:scheduler:${this.options.region}:000000000000:schedule/${groupName}/${name}`,
      scheduleExpression: input.ScheduleExpression,
      timezone: input.ScheduleExpressionTimezone,
      state: input.State ?? 'ENABLED',
      description: input.Description,
      target: input.Target,
      flexibleTimeWindow: input.FlexibleTimeWindow,
      actionAfterCompletion: input.ActionAfterCompletion ?? 'NONE',
      createdAt: now,
      modifiedAt: now,
      dueAt: dueTime(input.ScheduleExpression, input.ScheduleExpressionTimezone),
      completed: false,
    };
  }

  private describe(s: Schedule) {
    return {
      Arn: s.arn,
      GroupName: s.groupName,
      Name: s.name,
      ScheduleExpression: s.scheduleExpression,
      ...(s.timezone ? { ScheduleExpressionTimezone: s.timezone } : {}),
      ...(s.description ? { Description: s.description } : {}),
      State: s.state,
      CreationDate: s.createdAt / 1000,
      LastModificationDate: s.modifiedAt / 1000,
      Target: s.target,
      FlexibleTimeWindow: s.flexibleTimeWindow,
      ActionAfterCompletion: s.actionAfterCompletion,
    };
  }

  private list(group: string | undefined) {
    const all = Object.values(this.store.read().schedules).filter((s) => !group || s.groupName === group);
    return {
      Schedules: all.map((s) => ({
        Arn: s.arn,
        GroupName: s.groupName,
        Name: s.name,
        State: s.state,
        CreationDate: s.createdAt / 1000,
        LastModificationDate: s.modifiedAt / 1000,
        Target: { Arn: s.target.Arn },
      })),
    };
  }

  private find(groupName: string, name: string): Schedule {
    const found = this.store.read().schedules[key(groupName, name)];
    if (!found) throw new AwsServiceError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    return found;
  }

  private save(s: Schedule): void {
    const current = this.store.read().schedules;
    this.store.write({ schedules: { ...current, [key(s.groupName, s.name)]: s } });
  }

  private remove(id: string): void {
    this.disarm(id);
    const { [id]: _removed, ...rest } = this.store.read().schedules;
    this.store.write({ schedules: rest });
  }

  private arm(s: Schedule): void {
    if (this.stopped || s.completed || s.state !== 'ENABLED') return;
    const id = key(s.groupName, s.name);
    const wait = Math.max(0, s.dueAt - Date.now());
    // setTimeout cannot wait longer than ~24.8 days; re-arm in steps.
    const timer = setTimeout(() => {
      this.timers.delete(id);
      if (wait > maxTimerMs) this.arm(s);
      else this.track(this.fire(id));
    }, Math.min(wait, maxTimerMs));
    this.timers.set(id, timer);
  }

  private disarm(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }

  private track(firing: Promise<void>): void {
    this.firing.add(firing);
    void firing.finally(() => this.firing.delete(firing));
  }

  private async fire(id: string): Promise<void> {
    const s = this.store.read().schedules[id];
    if (!s || this.stopped) return;
    const about = { name: s.name, groupName: s.groupName, targetArn: s.target.Arn };
    const input = s.target.Input ?? '{}';
    let event: unknown = input;
    try {
      event = JSON.parse(input);
    } catch {
      // A non-JSON input reaches the target as the raw string.
    }
    const retryDelayMs = this.options.retryDelayMs ?? 1_000;
    for (let attempt = 0; attempt <= asyncRetries && !this.stopped; attempt += 1) {
      try {
        await this.options.deliver(event, about);
        break;
      } catch (error) {
        if (error instanceof TargetUnreachable) {
          await this.options.deadLetter(input, error, about).catch((e: unknown) => this.options.log(`Timer DLQ send failed: ${String(e)}`));
          break;
        }
        this.options.log(`Schedule ${s.groupName}/${s.name}: target failed (attempt ${attempt + 1}): ${describe(error)}`);
        if (attempt < asyncRetries) await new Promise((resolve) => setTimeout(resolve, retryDelayMs * (attempt + 1)));
      }
    }
    if (this.stopped) return;
    if (s.actionAfterCompletion === 'DELETE') this.remove(id);
    else if (this.store.read().schedules[id]) this.save({ ...s, completed: true });
  }
}

/** The target function could not be invoked at all (module missing); such deliveries go to the DLQ. */
export class TargetUnreachable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetUnreachable';
  }
}

function key(groupName: string, name: string): string {
  return `${groupName}/${name}`;
}

function dueTime(expression: string, timezone: string | undefined): number {
  const at = atExpression.exec(expression)?.[1];
  if (!at) {
    throw new AwsServiceError(400, 'ValidationException', `The local runtime runs one-time at(yyyy-mm-ddThh:mm:ss) schedules only, not ${expression}`);
  }
  const wallClock = Date.parse(`${at}Z`);
  if (Number.isNaN(wallClock)) throw new AwsServiceError(400, 'ValidationException', `Invalid date in ${expression}`);
  if (!timezone || timezone === 'UTC' || timezone === 'Etc/UTC') return wallClock;
  try {
    return zonedToUtc(wallClock, timezone);
  } catch {
    throw new AwsServiceError(400, 'ValidationException', `Invalid ScheduleExpressionTimezone ${timezone}`);
  }
}

/** Converts a wall-clock time in `timeZone` (given as if it were UTC) to the real instant. */
function zonedToUtc(wallClock: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(wallClock));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const shown = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wallClock - (shown - wallClock);
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
