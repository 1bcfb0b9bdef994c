import { execFileSync } from 'node:child_process'
import { AsnConvert } from '@peculiar/asn1-schema'
import { Time } from '@peculiar/asn1-x509'
import { describe, expect, it } from 'vitest'
import { CertError } from '../errors'
import { fromHex, toHex } from './bytes'
import { children, DerError, readInt, readOctets, readOid, readRoot, readTlv, readUint } from './reader'
import { oid as derOid, time as derTime, setOf, tlv, uint } from './writer'

describe('derTime', () => {
  for (const iso of ['2026-11-26T15:47:40.123Z', '1950-01-01T00:00:00Z', '2049-12-31T23:59:59Z', '2050-01-01T00:00:00Z', '2126-03-04T05:06:07Z']) {
    it(`encodes ${iso} as the schema does (whole seconds)`, () => {
      const ms = Date.parse(iso)
      const viaSchema = new Uint8Array(AsnConvert.serialize(new Time(new Date(Math.floor(ms / 1000) * 1000))))
      expect(Buffer.from(derTime(ms)).equals(Buffer.from(viaSchema))).toBe(true)
    })
  }
})

describe('readTlv', () => {
  it('reads short and long lengths and refuses truncation', () => {
    expect(readTlv(Uint8Array.of(0x04, 0x02, 1, 2), 0)).toMatchObject({ tag: 4, at: 0, start: 2, end: 4 })
    const long = new Uint8Array(3 + 200)
    long.set([0x04, 0x81, 200])
    expect(readTlv(long, 0)).toMatchObject({ tag: 4, at: 0, start: 3, end: 203 })
    expect(() => readTlv(Uint8Array.of(0x04, 0x05, 1), 0)).toThrow(DerError)
  })

  it('fails only with CertError DAMAGED, so every caller maps it to one line', () => {
    try {
      readTlv(Uint8Array.of(0x30), 0)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(CertError)
      expect((err as CertError).code).toBe('DAMAGED')
    }
  })

  it('refuses non-minimal and indefinite lengths in DER, takes them in BER', () => {
    const nonMinimal = Uint8Array.of(0x04, 0x81, 0x01, 0xaa)
    expect(() => readTlv(nonMinimal, 0)).toThrow(/non-minimal length/)
    expect(readTlv(nonMinimal, 0, nonMinimal.length, 'ber')).toMatchObject({ start: 3, end: 4 })
    const leadingZero = Uint8Array.of(0x04, 0x82, 0x00, 0x81, ...new Uint8Array(0x81))
    expect(() => readTlv(leadingZero, 0)).toThrow(/non-minimal length/)
    // SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { 'ab', 'c' } } EOC
    const ber = Uint8Array.of(0x30, 0x80, 0x24, 0x80, 0x04, 0x02, 0x61, 0x62, 0x04, 0x01, 0x63, 0x00, 0x00, 0x00, 0x00)
    expect(() => readRoot(ber)).toThrow(/indefinite length/)
    const root = readRoot(ber, 0x30, 'ber')
    expect(root).toMatchObject({ start: 2, contentEnd: 13, end: 15 })
    const [str] = children(root)
    expect(new TextDecoder().decode(readOctets(str!))).toBe('abc')
  })

  it('bounds BER nesting, so a hostile file cannot recurse without end', () => {
    const deep = new Uint8Array(2 * 100 + 2 * 100)
    for (let i = 0; i < 100; i++) deep.set([0x30, 0x80], 2 * i)
    expect(() => readRoot(deep, undefined, 'ber')).toThrow(/nesting too deep/)
  })

  it('refuses an indefinite length on a primitive element', () => {
    expect(() => readTlv(Uint8Array.of(0x04, 0x80, 0x00, 0x00), 0, 4, 'ber')).toThrow(DerError)
  })
})

describe('readOid', () => {
  it('reads what derOid writes, UUID arcs beyond 2^53 included', () => {
    for (const oid of ['2.5.4.3', '1.2.840.113549.1.1.11', '2.25.118064855039374575362835836967531572845.1.1', '2.999.1', '0.9.2342.19200300.100.1.25']) {
      expect(readOid(readRoot(derOid(oid)))).toBe(oid)
    }
  })

  it('refuses a non-minimal arc and a truncated one', () => {
    expect(() => readOid(readRoot(Uint8Array.of(0x06, 0x02, 0x80, 0x01)))).toThrow(DerError)
    expect(() => readOid(readRoot(Uint8Array.of(0x06, 0x02, 0x2a, 0x86)))).toThrow(DerError)
  })
})

describe('readInt', () => {
  it('reads minimal two’s complement, refuses the rest', () => {
    expect(readInt(readRoot(uint(2048)))).toBe(2048)
    expect(readInt(readRoot(uint(128)))).toBe(128)
    expect(readInt(readRoot(Uint8Array.of(0x02, 0x01, 0xff)))).toBe(-1)
    expect(() => readInt(readRoot(Uint8Array.of(0x02, 0x02, 0x00, 0x01)))).toThrow(/non-minimal/)
    expect(() => readInt(readRoot(Uint8Array.of(0x02, 0x05, 1, 2, 3, 4, 5)), 4)).toThrow(/too large/)
  })

  it('readUint takes leading zeros (older key files), refuses negatives and values past the bound', () => {
    expect(readUint(readRoot(Uint8Array.of(0x02, 0x02, 0x00, 0x10)))).toBe(16)
    expect(() => readUint(readRoot(Uint8Array.of(0x02, 0x01, 0xff)))).toThrow(/negative/)
    expect(() => readUint(readRoot(uint(2049)), 2048)).toThrow(/too large/)
  })
})

describe('derOid', () => {
  it('encodes OIDs as openssl does', () => {
    for (const oid of ['2.5.4.3', '1.2.840.113533.7.66.13', '1.2.410.200004.10.1.1.3', '2.5.29.14', '1.3.6.1.4.1.311.60.2.1.3', '2.999.1', '1.2.840.113549.1.1.11']) {
      const dump = execFileSync('openssl', ['asn1parse', '-genstr', `OID:${oid}`, '-noout', '-out', '-']).toString('hex')
      expect(Buffer.from(derOid(oid)).toString('hex')).toBe(dump)
    }
  })

  it('refuses what is not an OID', () => {
    for (const bad of ['', '3.1', '1.40', '1', '1.2.x']) expect(() => derOid(bad)).toThrow(RangeError)
  })
})

describe('writer', () => {
  it('writes lengths in their shortest form, as openssl reads them', () => {
    for (const n of [0, 127, 128, 255, 256, 65535, 65536]) {
      const enc = tlv(0x04, new Uint8Array(n))
      const t = readRoot(enc)
      expect(t.end - t.start).toBe(n)
    }
  })

  it('sorts SET OF by encoding', () => {
    expect(toHex(setOf(fromHex('0401bb'), fromHex('0401aa')))).toBe('31060401aa0401bb')
  })
})
