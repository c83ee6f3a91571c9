// The one contract every ConversationStore adapter must pass (SQLite locally, Table Store in the cloud):
// create-once, conditional replace on version, no lost turns under concurrent writers, faithful round trips.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConversationConflictError,
  type ConversationContent,
  type ConversationStore,
  type ConversationTurn,
} from '../../shared/ports/conversation-store.ts';

export interface ConversationStoreContractOptions {
  /** Label for the describe block, e.g. 'sqlite'. */
  name?: string;
  /** A fresh, empty store. */
  create: () => ConversationStore | Promise<ConversationStore>;
  /** Releases what create() opened. */
  dispose?: (store: ConversationStore) => void | Promise<void>;
}

const T0 = new Date('2026-03-01T10:00:00.000Z');
const T1 = new Date('2026-03-01T10:05:00.000Z');

let seq = 0;
function turn(text: string): ConversationTurn {
  seq += 1;
  return {
    id: `turn_${seq}`,
    at: T0.toISOString(),
    messages: [
      { role: 'user', content: text },
      { role: 'assistant', content: `answer to ${text}` },
    ],
  };
}

export function runConversationStoreContract(options: ConversationStoreContractOptions): void {
  describe(`ConversationStore contract${options.name ? ` (${options.name})` : ''}`, () => {
    const opened: ConversationStore[] = [];
    const fresh = async () => {
      const s = await options.create();
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await options.dispose?.(s);
    });

    it('returns undefined for a conversation never written', async () => {
      const store = await fresh();
      expect(await store.get('conv-missing')).toBeUndefined();
    });

    it('creates at version 1 with expected version 0 and reads back every field', async () => {
      const store = await fresh();
      const content: ConversationContent = {
        turns: [
          turn('hello'),
          {
            id: 'turn_tools',
            at: T0.toISOString(),
            messages: [
              { role: 'user', content: [{ type: 'text', text: 'weather in 北京?' }] },
              { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"北京"}' } }] },
              { role: 'tool', content: '{"temp":21}', tool_call_id: 'call_1' },
              { role: 'assistant', content: 'It is 21°C.', name: 'bot' },
            ],
          },
        ],
      };
      const created = await store.put('conv-a', 0, content, T0);
      expect(created).toMatchObject({ id: 'conv-a', version: 1, createdAt: T0.toISOString(), updatedAt: T0.toISOString() });
      expect(created.summary).toBeUndefined();
      const read = await store.get('conv-a');
      expect(read).toEqual(created);
      expect(read?.turns).toEqual(content.turns);
    });

    it('refuses a second create of the same id with ConversationConflictError', async () => {
      const store = await fresh();
      await store.put('conv-b', 0, { turns: [turn('one')] }, T0);
      await expect(store.put('conv-b', 0, { turns: [turn('two')] }, T0)).rejects.toBeInstanceOf(ConversationConflictError);
      expect((await store.get('conv-b'))?.turns.map((t) => t.messages[0]?.content)).toEqual(['one']);
    });

    it('replaces summary and turns on the expected version, bumping version and updatedAt only', async () => {
      const store = await fresh();
      const first = await store.put('conv-c', 0, { turns: [turn('one'), turn('two')] }, T0);
      const next = await store.put('conv-c', first.version, { summary: 'they said one', turns: [first.turns[1]!] }, T1);
      expect(next).toMatchObject({ version: 2, summary: 'they said one', createdAt: T0.toISOString(), updatedAt: T1.toISOString() });
      expect(next.turns).toEqual([first.turns[1]]);
      expect(await store.get('conv-c')).toEqual(next);
    });

    it('refuses a write on a stale version and keeps the winner', async () => {
      const store = await fresh();
      const v1 = await store.put('conv-d', 0, { turns: [turn('one')] }, T0);
      const winner = await store.put('conv-d', v1.version, { turns: [...v1.turns, turn('winner')] }, T1);
      const err = await store.put('conv-d', v1.version, { turns: [...v1.turns, turn('loser')] }, T1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConversationConflictError);
      expect(err).toMatchObject({ conversationId: 'conv-d', expectedVersion: 1 });
      expect(await store.get('conv-d')).toEqual(winner);
    });

    it('refuses an update of a conversation that does not exist', async () => {
      const store = await fresh();
      await expect(store.put('conv-e', 3, { turns: [] }, T0)).rejects.toBeInstanceOf(ConversationConflictError);
      expect(await store.get('conv-e')).toBeUndefined();
    });

    it('can clear the summary by writing none', async () => {
      const store = await fresh();
      const v1 = await store.put('conv-f', 0, { summary: 'old', turns: [] }, T0);
      const v2 = await store.put('conv-f', v1.version, { turns: [] }, T1);
      expect(v2.summary).toBeUndefined();
      expect((await store.get('conv-f'))?.summary).toBeUndefined();
    });

    it('keeps conversations apart', async () => {
      const store = await fresh();
      await store.put('conv-g1', 0, { turns: [turn('g1')] }, T0);
      await store.put('conv-g2', 0, { turns: [turn('g2')] }, T0);
      expect((await store.get('conv-g1'))?.turns[0]?.messages[0]?.content).toBe('g1');
      expect((await store.get('conv-g2'))?.turns[0]?.messages[0]?.content).toBe('g2');
    });

    it("keeps a stored response's history (tenant/responses/resp_…) apart from the tenant's conversations, tool calls and all", async () => {
      const store = await fresh();
      const call = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
      const calling: ConversationTurn = { id: 'turn_r', at: T0.toISOString(), messages: [{ role: 'user', content: 'weather?' }, { role: 'assistant', content: null, tool_calls: [call] }] };
      await store.put('acme/responses', 0, { turns: [turn('a conversation named responses')] }, T0);
      await store.put('acme/responses/resp_0a1b', 0, { turns: [calling] }, T0);
      expect((await store.get('acme/responses/resp_0a1b'))?.turns).toEqual([calling]);
      expect((await store.get('acme/responses'))?.turns[0]?.messages[0]?.content).toBe('a conversation named responses');
      expect(await store.get('other/responses/resp_0a1b')).toBeUndefined();
      // create-once: a second save under the same response id loses
      await expect(store.put('acme/responses/resp_0a1b', 0, { turns: [] }, T1)).rejects.toBeInstanceOf(ConversationConflictError);
    });

    it('loses no turn when 8 writers append concurrently and re-read on conflict', async () => {
      const store = await fresh();
      const append = async (text: string) => {
        for (let attempt = 0; attempt < 50; attempt++) {
          const cur = await store.get('conv-h');
          try {
            await store.put('conv-h', cur?.version ?? 0, { summary: cur?.summary, turns: [...(cur?.turns ?? []), turn(text)] }, T1);
            return;
          } catch (e) {
            if (!(e instanceof ConversationConflictError)) throw e;
            await new Promise((r) => setTimeout(r, Math.random() * 3));
          }
        }
        throw new Error(`append of ${text} never won`);
      };
      const texts = Array.from({ length: 8 }, (_, i) => `w${i}`);
      await Promise.all(texts.map(append));
      const final = await store.get('conv-h');
      expect(final?.version).toBe(8);
      expect(final?.turns.map((t) => t.messages[0]?.content).sort()).toEqual(texts);
    });
  });
}
