// The `tablestore` SDK ships no types: declared here as untyped, so only tablestore-client.ts speaks to it
// and gives the rest of the code types.
declare module 'tablestore' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- typed by tablestore-client.ts, not here
  const TableStore: any;
  export default TableStore;
}
declare module 'tablestore/lib/protocol/tablestore_compiled_proto.js' {
  const compiled: { main: { proto: { Error: { decode(bytes: Uint8Array): { code: string; message?: string } } } } };
  export default compiled;
}
