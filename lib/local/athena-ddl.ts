/**
 * The Glue table of a Light Engine stack as Athena DDL (`CREATE EXTERNAL TABLE …`): what `logtong local` prints so the
 * Parquet it wrote can be queried the way the deployed table is, or the table created by hand. Rendered from the
 * synthesized AWS::Glue::Table (references already resolved), so it is the table the stack deploys.
 */
export interface GlueTableInput {
  readonly Name: string;
  readonly Description?: string;
  readonly Parameters?: Record<string, string>;
  readonly PartitionKeys?: ReadonlyArray<{ readonly Name: string; readonly Type: string }>;
  readonly StorageDescriptor: {
    readonly Columns: ReadonlyArray<{ readonly Name: string; readonly Type: string; readonly Comment?: string }>;
    readonly Location: string;
    readonly InputFormat?: string;
    readonly OutputFormat?: string;
    readonly SerdeInfo?: { readonly SerializationLibrary?: string };
  };
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `\`${s.replace(/`/g, '``')}\``;

export function athenaDdl(database: string, t: GlueTableInput): string {
  const column = (c: { Name: string; Type: string; Comment?: string }) => `  ${ident(c.Name)} ${c.Type}${c.Comment ? ` COMMENT ${quote(c.Comment)}` : ''}`;
  const sd = t.StorageDescriptor;
  const props = Object.entries(t.Parameters ?? {}).filter(([k]) => k !== 'EXTERNAL');
  return [
    `CREATE EXTERNAL TABLE ${ident(database)}.${ident(t.Name)} (`,
    sd.Columns.map(column).join(',\n'),
    ')',
    ...(t.Description ? [`COMMENT ${quote(t.Description)}`] : []),
    ...(t.PartitionKeys?.length ? [`PARTITIONED BY (\n${t.PartitionKeys.map(column).join(',\n')}\n)`] : []),
    ...(sd.SerdeInfo?.SerializationLibrary ? [`ROW FORMAT SERDE ${quote(sd.SerdeInfo.SerializationLibrary)}`] : []),
    ...(sd.InputFormat && sd.OutputFormat ? [`STORED AS INPUTFORMAT ${quote(sd.InputFormat)}\nOUTPUTFORMAT ${quote(sd.OutputFormat)}`] : []),
    `LOCATION ${quote(sd.Location)}`,
    ...(props.length ? [`TBLPROPERTIES (\n${props.map(([k, v]) => `  ${quote(k)} = ${quote(v)}`).join(',\n')}\n)`] : []),
  ].join('\n') + ';';
}
