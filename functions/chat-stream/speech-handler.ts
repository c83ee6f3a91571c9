// POST /v1/audio/speech: read and check the body, stream the synthesis to the client as audio (wav or pcm),
// chunk by chunk as DashScope sends them. Returns nothing; the request log gets the model and what was sent.
import type { ServerResponse } from 'node:http';
import type { Deps } from '../../shared/deps/deps.ts';
import { readJson } from '../../shared/http/body.ts';
import type { HttpCall } from '../../shared/http/http-function.ts';
import { createSpeech, type AudioSink, type SpeechDeps } from '../../shared/use-cases/speech/create-speech.ts';
import { parseSpeechRequest } from '../../shared/use-cases/speech/speech-request.ts';

/** The response as an audio sink: headers when the synthesis started, each chunk written as it comes. */
function audioSink(res: ServerResponse, requestId: string): AudioSink & { readonly opened: boolean } {
  let opened = false;
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  return {
    get opened() {
      return opened;
    },
    open(contentType, headers) {
      opened = true;
      // each chunk leaves at once: the point of streaming speech is the first sound early
      res.socket?.setNoDelay(true);
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no', 'x-request-id': requestId, ...headers });
      res.flushHeaders();
    },
    async write(bytes) {
      if (res.destroyed || res.writableEnded) return;
      if (!res.write(bytes)) await drained();
    },
    end() {
      res.end();
    },
  };
}

export async function handleSpeech(deps: SpeechDeps & Pick<Deps, 'config'>, call: HttpCall): Promise<void> {
  const req = parseSpeechRequest(await readJson(call.req, deps.config.CHAT_MAX_BODY_BYTES));
  call.note.model = req.model.id;
  call.note.stream = true;
  const sink = audioSink(call.res, call.requestId);
  try {
    const outcome = await createSpeech(deps, req, { principal: call.principal, requestId: call.requestId, signal: call.gone, sink });
    call.note.end = 'completed';
    if (outcome.dashscopeRequestId) call.note.dashscopeRequestId = outcome.dashscopeRequestId;
  } catch (e) {
    // once audio is flowing an error cannot be answered: the response is cut, which a client sees as a failed read
    if (!sink.opened) throw e;
    call.note.end = call.gone.aborted ? 'aborted' : 'failed';
    call.note.errorCode = String((e as { code?: unknown }).code ?? 'internal_error');
    call.res.destroy();
  }
}
