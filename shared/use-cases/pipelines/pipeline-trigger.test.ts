// Which events move a pipeline: its own queued and due events, and the terminal events of tasks whose metadata
// names one; everything else (other tasks' events, OSS records, the timer, junk) is left to the other handlers.
import { describe, expect, it } from 'vitest';
import { pipelineIdOf } from './pipeline-trigger.ts';

const event = (type: string, data: Record<string, unknown>) => JSON.stringify({ specversion: '1.0', id: `x.${type}`, source: 'dashscope-fc', type, subject: 'x', time: '2026-01-01T00:00:00Z', datacontenttype: 'application/json', data, aliyuneventbusname: 'dashscope-fc' });

describe('pipelineIdOf', () => {
  it("names the pipeline of its own events and of its tasks' terminal events", () => {
    expect(pipelineIdOf(event('pipeline.queued', { pipelineId: 'pipe_1' }))).toEqual({ pipelineId: 'pipe_1', eventType: 'pipeline.queued' });
    expect(pipelineIdOf(Buffer.from(event('pipeline.due', { pipelineId: 'pipe_2' })))).toEqual({ pipelineId: 'pipe_2', eventType: 'pipeline.due' });
    for (const type of ['task.persisted', 'task.failed', 'task.canceled', 'task.expired']) {
      expect(pipelineIdOf(event(type, { taskId: 't', metadata: { pipelineId: 'pipe_3', pipelineStep: 'illustration' } }))).toEqual({ pipelineId: 'pipe_3', eventType: type, taskId: 't' });
    }
  });

  it('leaves every other event alone', () => {
    expect(pipelineIdOf(event('task.persisted', { taskId: 't', metadata: { orderId: '7' } }))).toBeUndefined();
    expect(pipelineIdOf(event('task.submitted', { taskId: 't', metadata: { pipelineId: 'pipe_3' } }))).toBeUndefined();
    expect(pipelineIdOf(event('pipeline.completed', { pipelineId: 'pipe_1' }))).toBeUndefined();
    expect(pipelineIdOf(event('budget.threshold', {}))).toBeUndefined();
    expect(pipelineIdOf(JSON.stringify({ events: [{ eventName: 'ObjectCreated:PutObject', oss: { object: { key: 'inbox/a/b.json' } } }] }))).toBeUndefined();
    expect(pipelineIdOf('poll')).toBeUndefined();
    expect(pipelineIdOf('{"triggerName":"every-minute","payload":"poll"}')).toBeUndefined();
    expect(pipelineIdOf(JSON.stringify({ ...JSON.parse(event('pipeline.queued', { pipelineId: 'pipe_1' })), source: 'someone-else' }))).toBeUndefined();
  });
});
