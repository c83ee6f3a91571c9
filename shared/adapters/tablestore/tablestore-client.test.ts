// How the client reads the SDK's rejections: the status as `code`, the protobuf Error as text in `message`.
import { describe, expect, it } from 'vitest';
import { toOtsError } from './tablestore-client.ts';

const sdkError = (code: unknown, message: string) => Object.assign(new Error(message), { code, headers: { 'x-ots-requestid': 'req-1' } });

describe('toOtsError', () => {
  it('decodes the protobuf Error the SDK leaves in the message of a 403', () => {
    const e = toOtsError(sdkError(403, '\n\u0015OTSConditionCheckFail\u0012\u0017Condition check failed. requestId:req-1'));
    expect(e).toMatchObject({ code: 'OTSConditionCheckFail', message: 'Condition check failed.', httpStatus: 403, requestId: 'req-1', conditionFailed: true, ambiguous: false });
  });

  it('treats throttling as not applied, and a 5xx or a lost connection as ambiguous', () => {
    expect(toOtsError(sdkError(503, '\n\rOTSServerBusy\u0012\u0005busy. requestId:r'))).toMatchObject({ code: 'OTSServerBusy', rejected: true, ambiguous: false });
    expect(toOtsError(sdkError(500, '\n\u0016OTSInternalServerError\u0012\u0001x requestId:r'))).toMatchObject({ rejected: false, ambiguous: true });
    expect(toOtsError(sdkError('NetworkingError', 'socket hang up'))).toMatchObject({ code: 'NetworkError', httpStatus: undefined, ambiguous: true });
    expect(toOtsError(sdkError('TimeoutError', 'Connection timed out after 100ms'))).toMatchObject({ code: 'NetworkError', ambiguous: true });
  });

  it('does not take a bug in the client for a lost answer', () => {
    expect(toOtsError(new ReferenceError('pro is not defined'))).toMatchObject({ code: 'ClientError', ambiguous: false, rejected: false });
  });

  it('keeps the status of an answer with no body, and of one that is not protobuf', () => {
    expect(toOtsError(sdkError('Forbidden', 'req-1'))).toMatchObject({ code: 'HTTP403', httpStatus: 403, ambiguous: false });
    expect(toOtsError(sdkError(502, '<html>Bad Gateway</html> requestId:'))).toMatchObject({ code: 'HTTP502', httpStatus: 502, ambiguous: true });
  });
});
