/**
 * Argument checks of the namespace and device-DAX calls, on any host: every bad argument throws a TypeError before
 * the addon is asked anything, so nothing here can touch a device. (The region-dependent checks and the changes
 * themselves are in devices.lab.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import {
  createNamespace, destroyNamespace, isAvailable, offlineDaxMemory, onlineDaxMemory, reconfigureDaxDevice, reconfigureNamespace,
} from '../src/index.js';
import { asTypeError, checkNamespaceParams } from '../src/devices/validate.js';

/** what a call throws synchronously or rejects with */
async function failure(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the call succeeded');
}

describe('namespace params', () => {
  it('keeps what is valid and nothing else', () => {
    expect(checkNamespaceParams({ mode: 'fsdax', size: 256 << 20, align: 2 << 20, map: 'mem', sectorSize: 4096, name: 'db', uuid: 'ABCDEF01-2345-4678-89ab-cdef01234567' }))
      .toEqual({ mode: 'fsdax', size: 256 << 20, align: 2 << 20, map: 'mem', sectorSize: 4096, name: 'db', uuid: 'abcdef01-2345-4678-89ab-cdef01234567' });
    expect(checkNamespaceParams({ mode: 'sector', sectorSize: 520 })).toEqual({ mode: 'sector', sectorSize: 520 });
    expect(checkNamespaceParams({ mode: 'devdax', align: 1 << 30 })).toEqual({ mode: 'devdax', align: 1 << 30 });
  });

  it.each([
    [null, /params must be an object/],
    [{}, /params.mode must be one of raw, sector, fsdax, devdax, got undefined/],
    [{ mode: 'memory' }, /params.mode must be one of .* got "memory"/],
    [{ mode: 'raw', size: 0 }, /params.size must be a positive whole number of bytes, got 0/],
    [{ mode: 'raw', size: 1.5 }, /positive whole number/],
    [{ mode: 'raw', size: '1G' }, /positive whole number/],
    [{ mode: 'raw', size: (64 << 20) + 512 }, /size must be a multiple of 4096/],
    [{ mode: 'raw', align: 2 << 20 }, /params.align applies to fsdax and devdax namespaces, not raw/],
    [{ mode: 'fsdax', align: 3 << 20 }, /align must be a power of two of at least 4096/],
    [{ mode: 'fsdax', align: 2048 }, /align must be a power of two of at least 4096/],
    [{ mode: 'sector', map: 'dev' }, /params.map applies to fsdax and devdax namespaces, not sector/],
    [{ mode: 'fsdax', map: 'pmem' }, /params.map must be 'dev' or 'mem', got "pmem"/],
    [{ mode: 'sector', sectorSize: 1000 }, /sectorSize of a sector namespace must be one of 512, 520, 528, 4096, 4104, 4160, 4224, got 1000/],
    [{ mode: 'fsdax', sectorSize: 520 }, /sectorSize of a fsdax namespace must be one of 512, 4096, got 520/],
    [{ mode: 'devdax', sectorSize: 4096 }, /params.sectorSize applies to raw, sector and fsdax namespaces, not devdax/],
    [{ mode: 'raw', name: 'x'.repeat(64) }, /params.name must be at most 63 bytes/],
    [{ mode: 'raw', name: 'a\nb' }, /without newlines/],
    [{ mode: 'raw', name: 7 }, /params.name must be a string/],
    [{ mode: 'raw', uuid: 'not-a-uuid' }, /params.uuid must look like 01234567-89ab-cdef-0123-456789abcdef, got "not-a-uuid"/],
    [{ mode: 'raw', force: true }, /params.force is not an option; the options are mode, size, align, map, sectorSize, name, uuid/],
  ])('refuses %j', (params, message) => {
    expect(() => checkNamespaceParams(params)).toThrow(TypeError);
    expect(() => checkNamespaceParams(params)).toThrow(message);
  });
});

describe('device names and options: TypeError before the addon is asked', () => {
  it.each([
    ['createNamespace with a namespace name', () => createNamespace('namespace0.0', { mode: 'raw' }), /region must be a device name such as 'region0', got "namespace0.0"/],
    ['createNamespace with no region', () => createNamespace(undefined as unknown as string, { mode: 'raw' }), /region must be a string/],
    ['createNamespace with bad params', () => createNamespace('region0', { mode: 'sector', sectorSize: 1000 }), /sectorSize of a sector namespace/],
    ['reconfigureNamespace with a region name', () => reconfigureNamespace('region0', { mode: 'raw' }), /namespace must be a device name such as 'namespace0.0'/],
    ['reconfigureNamespace without a mode', () => reconfigureNamespace('namespace0.0', {} as never), /params.mode must be one of/],
    ['destroyNamespace with a path', () => destroyNamespace('/dev/pmem0'), /namespace must be a device name/],
    ['reconfigureDaxDevice with a namespace', () => reconfigureDaxDevice('namespace0.0', { mode: 'devdax' }), /device must be a device name such as 'dax0.0'/],
    ['reconfigureDaxDevice with mode kmem', () => reconfigureDaxDevice('dax0.0', { mode: 'kmem' as never }), /opts.mode must be 'system-ram' or 'devdax', got "kmem"/],
    ['reconfigureDaxDevice devdax with online', () => reconfigureDaxDevice('dax0.0', { mode: 'devdax', online: true }), /apply to mode 'system-ram' only/],
    ['reconfigureDaxDevice with online "yes"', () => reconfigureDaxDevice('dax0.0', { mode: 'system-ram', online: 'yes' as never }), /opts.online must be a boolean, got string/],
    ['onlineDaxMemory with movable 1', () => onlineDaxMemory('dax0.0', { movable: 1 as never }), /opts.movable must be a boolean, got number/],
    ['offlineDaxMemory with dax0', () => offlineDaxMemory('dax0'), /device must be a device name such as 'dax0.0', got "dax0"/],
  ])('%s', async (_name, call, message) => {
    const err = await failure(call);
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toMatch(message);
  });
});

describe('asTypeError', () => {
  it("turns the addon's 'daxfleet_validate' refusals into TypeErrors carrying the reason", () => {
    const native = Object.assign(new Error('EINVAL: invalid argument, daxfleet_validate'), {
      code: 'EINVAL', syscall: 'daxfleet_validate', detail: 'size must be a multiple of the region align (16777216)',
    });
    const typed = asTypeError(native) as TypeError & { code: string };
    expect(typed).toBeInstanceOf(TypeError);
    expect(typed).toMatchObject({ message: 'size must be a multiple of the region align (16777216)', code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('leaves every other error alone', () => {
    const busy = Object.assign(new Error('EBUSY'), { code: 'EBUSY', syscall: 'ndctl_namespace_disable_safe' });
    expect(asTypeError(busy)).toBe(busy);
  });
});

describe.skipIf(!isAvailable())('names that do not exist (read-only lookups)', () => {
  it('an unknown region, namespace or DAX device rejects ENODEV naming it', async () => {
    expect(await failure(() => createNamespace('region987', { mode: 'raw' }))).toMatchObject({ code: 'ENODEV', path: 'region987', syscall: 'ndctl_region_get_devname' });
    expect(await failure(() => destroyNamespace('namespace987.0'))).toMatchObject({ code: 'ENODEV', path: 'namespace987.0' });
    expect(await failure(() => onlineDaxMemory('dax987.0'))).toMatchObject({ code: 'ENODEV', path: 'dax987.0', syscall: 'daxctl_dev_get_devname' });
  });
});
