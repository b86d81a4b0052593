// `kubectl explain livestream.spec[.<field>]` as kubectl's plaintext template prints it on a
// cluster serving OpenAPI v3, rendered from the CRD's schema, so docs/kubernetes.md can show it
// and a test can hold the docs to the CRD.
export interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  required?: string[];
  enum?: string[];
}

const WIDTH = 80;

function typeOf(s: SchemaNode): string {
  if (s.type === 'array') return `[]${s.items ? typeOf(s.items) : 'Object'}`;
  if (s.type === 'object') return 'Object';
  return s.type ?? 'Object';
}

/** Word-wrapped to the terminal width kubectl assumes, indented. */
function wrap(text: string, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => ' '.repeat(indent) + l);
}

/** The schema at a dotted path under the version's root (`spec`, `spec.edges`, ...). */
export function schemaAt(root: SchemaNode, path: string): SchemaNode {
  let node = root;
  for (const part of path.split('.')) {
    const next = (node.type === 'array' ? node.items : node)?.properties?.[part];
    if (!next) throw new Error(`no field ${part} in ${path}`);
    node = next;
  }
  return node;
}

export function explain(gvk: { group: string; kind: string; version: string }, root: SchemaNode, path: string): string {
  const node = schemaAt(root, path);
  const fields = node.type === 'array' ? node.items : node;
  const out = [`GROUP:      ${gvk.group}`, `KIND:       ${gvk.kind}`, `VERSION:    ${gvk.version}`, '', `FIELD: ${path.split('.').at(-1)} <${typeOf(node)}>`, ''];
  out.push('DESCRIPTION:', ...wrap(node.description ?? '<empty>', 4));
  if (fields?.properties) {
    out.push('', 'FIELDS:');
    const required = new Set(fields.required ?? []);
    for (const name of Object.keys(fields.properties).sort()) {
      const f = fields.properties[name]!;
      out.push(`  ${name}\t<${typeOf(f)}>${required.has(name) ? ' -required-' : ''}`);
      if (f.enum) out.push(`  enum: ${f.enum.join(', ')}`);
      out.push(...wrap(f.description ?? '<no description>', 4), '');
    }
  }
  return out.join('\n').trimEnd();
}
