/**
 * JSON text exactly as ndctl/daxctl print it: json-c 0.16's json_object_to_json_string_ext() with
 * JSON_C_TO_STRING_PRETTY (two-space indent, no space after ':', '/' escaped as "\/", empty
 * containers still broken over two lines), followed by the newline ndctl's printf adds.
 */

/** A JSON value as ndctl builds it; bigint carries 64-bit integers such as iset_id exactly. */
export type NdctlJson = string | number | bigint | boolean | NdctlJson[] | { [key: string]: NdctlJson };

function indent(level: number): string {
  return '  '.repeat(level);
}

/** json-c's json_escape_str() without JSON_C_TO_STRING_NOSLASHESCAPE. */
function escapeString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '/') out += '\\/';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20) out += `\\u00${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function write(value: NdctlJson, level: number): string {
  if (typeof value === 'string') return escapeString(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`ndctl prints integers only, got ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const inner = indent(level + 1);
  if (Array.isArray(value)) {
    const items = value.map((item) => inner + write(item, level + 1));
    return `[\n${items.join(',\n')}${items.length > 0 ? '\n' : ''}${indent(level)}]`;
  }
  const members = Object.entries(value).map(([key, member]) => `${inner}${escapeString(key)}:${write(member, level + 1)}`);
  return `{\n${members.join(',\n')}${members.length > 0 ? '\n' : ''}${indent(level)}}`;
}

/**
 * The text ndctl prints for `value`, newline included. A top-level empty list prints nothing, as
 * `ndctl list` prints nothing on a host without NVDIMMs.
 */
export function stringifyNdctl(value: NdctlJson): string {
  if (Array.isArray(value) && value.length === 0) return '';
  return `${write(value, 0)}\n`;
}
