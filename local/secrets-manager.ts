import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AwsServiceError, parseInput } from './aws-wire';
import { jsonStore, type JsonStore } from './store';

const version = z.object({
  id: z.string(),
  secretString: z.string().optional(),
  secretBinary: z.string().optional(),
  stages: z.array(z.string()),
  createdDate: z.number(),
});
const secret = z.object({
  arn: z.string(),
  name: z.string(),
  description: z.string().optional(),
  createdDate: z.number(),
  lastChangedDate: z.number(),
  deletedDate: z.number().optional(),
  versions: z.array(version),
});
const secretsFile = z.object({ secrets: z.record(z.string(), secret) });
type Secret = z.infer<typeof secret>;
type SecretsFile = z.infer<typeof secretsFile>;

const createInput = z.object({
  Name: z.string().min(1).max(512),
  SecretString: z.string().optional(),
  SecretBinary: z.string().optional(),
  Description: z.string().optional(),
  ClientRequestToken: z.string().optional(),
});
const getInput = z.object({ SecretId: z.string().min(1), VersionId: z.string().optional(), VersionStage: z.string().optional() });
const putInput = z.object({
  SecretId: z.string().min(1),
  SecretString: z.string().optional(),
  SecretBinary: z.string().optional(),
  ClientRequestToken: z.string().optional(),
});
const deleteInput = z.object({
  SecretId: z.string().min(1),
  ForceDeleteWithoutRecovery: z.boolean().optional(),
  RecoveryWindowInDays: z.number().optional(),
});
const describeInput = z.object({ SecretId: z.string().min(1) });

const seconds = (ms: number) => ms / 1000;
const invalid = 'InvalidParameterException';

/** Secrets Manager's JSON 1.1 operations the product uses, over a JSON file or memory. */
export class SecretsManagerEmulator {
  private readonly store: JsonStore<SecretsFile>;

  constructor(
    file: string | undefined,
    private readonly region: string,
  ) {
    this.store = jsonStore(file, secretsFile, { secrets: {} });
  }

  handle(operation: string, input: unknown): unknown {
    switch (operation) {
      case 'CreateSecret':
        return this.create(parseInput(createInput, input, invalid));
      case 'GetSecretValue':
        return this.get(parseInput(getInput, input, invalid));
      case 'PutSecretValue':
        return this.put(parseInput(putInput, input, invalid));
      case 'DeleteSecret':
        return this.delete(parseInput(deleteInput, input, invalid));
      case 'DescribeSecret':
        return this.describe(parseInput(describeInput, input, invalid));
      default:
        throw new AwsServiceError(400, 'UnknownOperationException', `The local runtime does not emulate secretsmanager.${operation}`);
    }
  }

  private create(input: z.infer<typeof createInput>) {
    const existing = this.store.read().secrets[input.Name];
    if (existing?.deletedDate) {
      throw new AwsServiceError(400, 'InvalidRequestException', `You can't create this secret because a secret with this name is already scheduled for deletion.`);
    }
    if (existing) throw new AwsServiceError(400, 'ResourceExistsException', `The operation failed because the secret ${input.Name} already exists.`);
    const now = Date.now();
    const suffix = randomBytes(4).toString('base64url').slice(0, 6);
    const created: Secret = {
      arn: `arn:aws:secretsmanager:${this.region}:000000000000:secret:${input.Name}-${suffix}`,
      name: input.Name,
      description: input.Description,
      createdDate: now,
      lastChangedDate: now,
      versions: [],
    };
    const versionId = this.addVersion(created, input, now);
    this.save(created);
    return { ARN: created.arn, Name: created.name, ...(versionId ? { VersionId: versionId } : {}) };
  }

  private get(input: z.infer<typeof getInput>) {
    const found = this.live(input.SecretId);
    const stage = input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT');
    const match = found.versions.find((v) => (input.VersionId ? v.id === input.VersionId : true) && (stage ? v.stages.includes(stage) : true));
    if (!match) {
      throw new AwsServiceError(400, 'ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${stage ?? 'AWSCURRENT'}`);
    }
    return {
      ARN: found.arn,
      Name: found.name,
      VersionId: match.id,
      ...(match.secretString !== undefined ? { SecretString: match.secretString } : {}),
      ...(match.secretBinary !== undefined ? { SecretBinary: match.secretBinary } : {}),
      VersionStages: match.stages,
      CreatedDate: seconds(match.createdDate),
    };
  }

  private put(input: z.infer<typeof putInput>) {
    const found = this.live(input.SecretId);
    const now = Date.now();
    const versionId = this.addVersion(found, input, now);
    found.lastChangedDate = now;
    this.save(found);
    return { ARN: found.arn, Name: found.name, VersionId: versionId, VersionStages: ['AWSCURRENT'] };
  }

  private delete(input: z.infer<typeof deleteInput>) {
    const found = this.find(input.SecretId);
    const now = Date.now();
    if (input.ForceDeleteWithoutRecovery) {
      const { [found.name]: _removed, ...rest } = this.store.read().secrets;
      this.store.write({ secrets: rest });
      return { ARN: found.arn, Name: found.name, DeletionDate: seconds(now) };
    }
    // Like AWS, the name stays taken during the recovery window (default 30 days).
    const deletion = now + (input.RecoveryWindowInDays ?? 30) * 86_400_000;
    found.deletedDate = now;
    this.save(found);
    return { ARN: found.arn, Name: found.name, DeletionDate: seconds(deletion) };
  }

  private describe(input: z.infer<typeof describeInput>) {
    const found = this.find(input.SecretId);
    return {
      ARN: found.arn,
      Name: found.name,
      ...(found.description !== undefined ? { Description: found.description } : {}),
      CreatedDate: seconds(found.createdDate),
      LastChangedDate: seconds(found.lastChangedDate),
      ...(found.deletedDate !== undefined ? { DeletedDate: seconds(found.deletedDate) } : {}),
      VersionIdsToStages: Object.fromEntries(found.versions.map((v) => [v.id, v.stages])),
    };
  }

  private addVersion(target: Secret, input: { SecretString?: string; SecretBinary?: string; ClientRequestToken?: string }, now: number) {
    if (input.SecretString === undefined && input.SecretBinary === undefined) return undefined;
    const id = input.ClientRequestToken ?? randomUUID();
    // The current version becomes the previous one; older versions lose their labels.
    for (const v of target.versions) {
      v.stages = v.stages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : [];
    }
    target.versions = target.versions.filter((v) => v.stages.length > 0 && v.id !== id);
    target.versions.push({ id, secretString: input.SecretString, secretBinary: input.SecretBinary, stages: ['AWSCURRENT'], createdDate: now });
    return id;
  }

  private find(secretId: string): Secret {
    const all = this.store.read().secrets;
    const found = all[secretId] ?? Object.values(all).find((s) => s.arn === secretId);
    if (!found) throw new AwsServiceError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return structuredClone(found);
  }

  private live(secretId: string): Secret {
    const found = this.find(secretId);
    if (found.deletedDate) {
      throw new AwsServiceError(400, 'InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
    }
    return found;
  }

  private save(value: Secret): void {
    const current = this.store.read();
    this.store.write({ secrets: { ...current.secrets, [value.name]: value } });
  }
}
