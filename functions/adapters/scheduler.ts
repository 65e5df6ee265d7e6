import { createHash } from 'node:crypto';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { TimerPayload, Timers } from '../domain/ports';

export interface SchedulerTimersConfig {
  group: string;
  roleArn: string;
  targetArn: string;
  deadLetterArn: string;
}

/** Scheduler names allow 64 characters of [0-9A-Za-z-_.]; longer names keep a readable head and a hash. */
export function scheduleName(name: string): string {
  const safe = name.replace(/[^0-9A-Za-z_.-]/g, '_');
  if (safe.length <= 64) return safe;
  return `${safe.slice(0, 47)}-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/** `at()` takes a UTC wall time without zone or fraction; Scheduler itself fires within about a minute. */
export function atExpression(at: Date): string {
  return `at(${at.toISOString().slice(0, 19)})`;
}

/**
 * Timers as one-time EventBridge Scheduler schedules that delete themselves after firing.
 * Re-arming a timer replaces its schedule.
 */
export class SchedulerTimers implements Timers {
  constructor(
    private readonly client: SchedulerClient,
    private readonly config: SchedulerTimersConfig,
  ) {}

  async arm(name: string, at: Date, payload: TimerPayload): Promise<void> {
    const command = new CreateScheduleCommand({
      Name: scheduleName(name),
      GroupName: this.config.group,
      ScheduleExpression: atExpression(at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: this.config.targetArn,
        RoleArn: this.config.roleArn,
        Input: JSON.stringify(payload),
        DeadLetterConfig: { Arn: this.config.deadLetterArn },
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
      },
    });
    try {
      await this.client.send(command);
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      await this.disarm(name);
      await this.client.send(command);
    }
  }

  async disarm(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: scheduleName(name), GroupName: this.config.group }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}
