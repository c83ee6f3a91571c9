// How the client reads Table Store's error answers: the protobuf Error when there is one, the status otherwise.
import { describe, expect, it } from 'vitest';
import { errorFromAnswer, OtsError } from './tablestore-client.ts';
import { ProtoWriter } from './ots-wire/protobuf.ts';

const errorBody = (code: string, message: string) => new ProtoWriter().string(1, code).string(2, message).finish();

describe('errorFromAnswer', () => {
  it('decodes the protobuf Error of a 403 into the service code and message', () => {
    const e = errorFromAnswer(403, errorBody('OTSConditionCheckFail', 'Condition check failed.'), 'req-1');
    expect(e).toMatchObject({ code: 'OTSConditionCheckFail', message: 'Condition check failed.', httpStatus: 403, requestId: 'req-1', conditionFailed: true, ambiguous: false });
  });

  it('treats throttling as not applied, and a 5xx as ambiguous', () => {
    expect(errorFromAnswer(503, errorBody('OTSServerBusy', 'busy'), 'r')).toMatchObject({ code: 'OTSServerBusy', rejected: true, ambiguous: false });
    expect(errorFromAnswer(403, errorBody('OTSOperationThrottled', 'slow down'), 'r')).toMatchObject({ rejected: true, ambiguous: false });
    expect(errorFromAnswer(500, errorBody('OTSInternalServerError', 'x'), 'r')).toMatchObject({ rejected: false, ambiguous: true });
  });

  it('keeps the status of an answer with no body, and of one that is not protobuf, showing a printable prefix', () => {
    expect(errorFromAnswer(403, Buffer.alloc(0), 'r')).toMatchObject({ code: 'HTTP403', httpStatus: 403, ambiguous: false, message: 'Table Store answered 403 with no body' });
    const page = errorFromAnswer(502, Buffer.from('<html>Bad Gateway</html>'), undefined);
    expect(page).toMatchObject({ code: 'HTTP502', httpStatus: 502, ambiguous: true, message: 'Table Store answered 502: <html>Bad Gateway</html>' });
  });

  it('does not take text that happens to parse as protobuf for an Error', () => {
    // field 1 holds "x y": valid protobuf, but no service code looks like that
    expect(errorFromAnswer(400, errorBody('x y', 'z'), 'r').code).toBe('HTTP400');
  });

  it('counts a lost or unreadable answer as ambiguous, and a client bug as neither', () => {
    expect(new OtsError('NetworkError', 'gone', undefined, undefined)).toMatchObject({ ambiguous: true, rejected: false });
    expect(new OtsError('BadResponse', 'garbled', 200, 'r')).toMatchObject({ ambiguous: true, rejected: false });
    expect(new OtsError('ClientError', 'bug', undefined, undefined)).toMatchObject({ ambiguous: false, rejected: false });
  });
});
