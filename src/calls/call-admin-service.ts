import path from 'node:path';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { CalltrackConfig } from '../config/schema.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { TimeZone } from '../exports/time-zone.js';
import { parseCallFilter, type CallFilterInput } from './call-filter.js';
import { callToJson, type CallJson } from './call-json.js';
import { listCalls } from './call-queries.js';
import type { CallRecord } from './call-record.js';
import type { CallStore } from './call-store.js';
import { resolveRecordingFile, type RecordingFile } from './recording-access.js';
import { isTargetCall, targetCallRules } from './target-call.js';

const tag = z
  .string()
  .trim()
  .min(1, 'a tag may not be empty')
  .max(50, 'a tag is at most 50 characters')
  .regex(/^[^,\p{Cc}]+$/u, 'a tag may not contain commas or control characters');

/** What an analyst or the CRM may change on a call; everything else is the call path's record. */
const callPatch = z.strictObject({
  tags: z.array(tag).max(50, 'at most 50 tags').optional(),
  note: z.string().max(10_000, 'a note is at most 10000 characters').nullable().optional(),
  dealValue: z.number().finite().min(0, 'must not be negative').nullable().optional(),
});

export type CallPatch = z.infer<typeof callPatch>;

export interface ListInput extends CallFilterInput {
  tz?: string | undefined;
  limit?: string | undefined;
  cursor?: string | undefined;
}

/** The admin API's calls: listing, one call, analyst edits, the recording file. */
export class CallAdminService {
  constructor(
    private readonly db: Knex,
    private readonly store: CallStore,
    private readonly config: { readonly current: CalltrackConfig },
    private readonly clock: Clock,
    private readonly baseDir: string,
  ) {}

  async list(input: ListInput): Promise<{ calls: CallJson[]; nextCursor: string | null }> {
    const cfg = this.config.current;
    const zone = TimeZone.of(input.tz ?? cfg.exports.timeZone);
    const filter = parseCallFilter(input, { zone, defaultCountry: cfg.tracking.defaultCountry });
    const limit = input.limit === undefined ? 50 : Number(input.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new InvalidInputError(`limit: "${input.limit}" must be a whole number from 1 to 500`, { field: 'limit' });
    }
    const page = await listCalls(this.db, filter, { limit, cursor: input.cursor });
    return { calls: page.calls.map((c) => this.toJson(c)), nextCursor: page.nextCursor };
  }

  async get(id: string): Promise<CallJson> {
    return this.toJson(await this.find(id));
  }

  async patch(id: string, body: unknown): Promise<CallJson> {
    const parsed = callPatch.safeParse(body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'body';
      const message = issue?.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}: only tags, note and dealValue can be changed` : issue?.message;
      throw new InvalidInputError(`${field}: ${message ?? 'invalid'}`, { field });
    }
    const patch: Partial<CallRecord> = { updatedAt: this.clock.now() };
    if (parsed.data.tags !== undefined) patch.tags = [...new Set(parsed.data.tags)];
    if (parsed.data.note !== undefined) patch.note = parsed.data.note;
    if (parsed.data.dealValue !== undefined) patch.dealValue = parsed.data.dealValue;
    const updated = await this.db.transaction(async (trx) => {
      if (!(await this.store.findById(trx, id))) throw notFound(id);
      await this.store.update(trx, id, patch);
      return (await this.store.findById(trx, id)) as CallRecord;
    });
    return this.toJson(updated);
  }

  async recording(id: string): Promise<RecordingFile & { callId: string }> {
    const call = await this.find(id);
    const dir = path.resolve(this.baseDir, this.config.current.media.recording.dir);
    return { ...(await resolveRecordingFile(call, dir)), callId: call.id };
  }

  private async find(id: string): Promise<CallRecord> {
    const call = await this.store.findById(this.db, id);
    if (!call) throw notFound(id);
    return call;
  }

  private toJson(call: CallRecord): CallJson {
    const cfg = this.config.current;
    return callToJson(call, { publicUrl: cfg.http.publicUrl, targetCall: isTargetCall(call, targetCallRules(cfg)) });
  }
}

const notFound = (id: string) => new NotFoundError(`no call with id "${id}"`);
