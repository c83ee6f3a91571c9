// Table operations the SDK's proto does not describe, decoded field by field as the service reads them.
import { ProtoMessage } from '../../../shared/adapters/tablestore/ots-wire/protobuf.ts';
import { invalid, type ColumnType } from './table-engine.ts';

/** AddDefinedColumnRequest: table_name = 1; repeated DefinedColumnSchema {name = 1; type = 2} = 2. */
export function decodeAddDefinedColumn(body: Buffer, types: Record<number, ColumnType>): { table: string; columns: { name: string; type: ColumnType }[] } {
  try {
    const m = ProtoMessage.decode(body);
    const table = m.string(1) ?? '';
    const columns = m.messages(2).map((c) => ({ name: c.string(1) ?? '', type: c.int32(2) ?? 0 }));
    if (!table || columns.length === 0 || columns.some((c) => !c.name || !types[c.type])) throw new Error('a table name and named, typed columns are required');
    return { table, columns: columns.map((c) => ({ name: c.name, type: types[c.type]! })) };
  } catch (e) {
    throw invalid(`Invalid AddDefinedColumnRequest: ${e instanceof Error ? e.message : String(e)}`);
  }
}
