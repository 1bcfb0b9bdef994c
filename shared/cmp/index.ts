export * from './asn1'
export * from './pbm'
export * from './messages'
