import { AsnConvert } from '@peculiar/asn1-schema'
import { Time } from '@peculiar/asn1-x509'
import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { derOid, derTime, readTlv } from './der'

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
    expect(readTlv(Uint8Array.of(0x04, 0x02, 1, 2), 0)).toEqual({ tag: 4, start: 2, end: 4 })
    const long = new Uint8Array(3 + 200)
    long.set([0x04, 0x81, 200])
    expect(readTlv(long, 0)).toEqual({ tag: 4, start: 3, end: 203 })
    expect(() => readTlv(Uint8Array.of(0x04, 0x05, 1), 0)).toThrow(RangeError)
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
