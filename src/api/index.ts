// The acme6.io/v1alpha1 API: names, zod schemas and their inferred types, condition helpers.
export * from './certificate.ts';
export * from './conditions.ts';
export * from './duration.ts';
export * from './field-path.ts';
export * from './group.ts';
export * from './ip.ts';
export * from './issuer.ts';
export * from './metadata.ts';
export * from './patterns.ts';
export * from './schemas.ts';
export * from './solver.ts';
export * from './validation.ts';
