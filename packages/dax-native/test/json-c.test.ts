/**
 * stringifyNdctl() against the layout of json-c 0.16 (the library ndctl 76 prints with). The expected
 * strings are what json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY) returned for the same
 * values on Debian 12's libjson-c5.
 */
import { describe, expect, it } from 'vitest';
import { stringifyNdctl, type NdctlJson } from '../src/index.js';

describe('stringifyNdctl', () => {
  it('lays out nested objects and arrays as json-c does, ending with a newline', () => {
    const value: NdctlJson = [{ provider: 'ACPI.NFIT', dev: 'ndbus0', a: [], o: {}, p: '/x/y', n: -5, b: true, nested: [{ x: 1 }, { y: [1, 2] }] }];
    expect(stringifyNdctl(value)).toBe(
      [
        '[',
        '  {',
        '    "provider":"ACPI.NFIT",',
        '    "dev":"ndbus0",',
        '    "a":[',
        '    ],',
        '    "o":{',
        '    },',
        '    "p":"\\/x\\/y",',
        '    "n":-5,',
        '    "b":true,',
        '    "nested":[',
        '      {',
        '        "x":1',
        '      },',
        '      {',
        '        "y":[',
        '          1,',
        '          2',
        '        ]',
        '      }',
        '    ]',
        '  }',
        ']',
        '',
      ].join('\n'),
    );
  });

  it('prints 64-bit integers exactly, beyond the range of a double', () => {
    expect(stringifyNdctl({ iset_id: -1234567890123456789n, big: 18446744073709551615n })).toBe(
      '{\n  "iset_id":-1234567890123456789,\n  "big":18446744073709551615\n}\n',
    );
  });

  it('escapes quotes, backslashes and control characters like json_escape_str', () => {
    expect(stringifyNdctl({ name: 'a"b\\c\td\u0001' })).toBe('{\n  "name":"a\\"b\\\\c\\td\\u0001"\n}\n');
  });

  it('prints nothing for an empty top-level list, as ndctl does on a host without NVDIMMs', () => {
    expect(stringifyNdctl([])).toBe('');
  });

  it('refuses a fraction, which ndctl never prints', () => {
    expect(() => stringifyNdctl({ size: 1.5 })).toThrow(TypeError);
  });
});
