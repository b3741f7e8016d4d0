import {
  PRODUCT_FAMILIES,
  planUpdate,
  type ProductFamily,
  type ServerProfile,
  type UpdateRequest,
} from '../../src/procedure/index.js';
import { labServerSpec } from '../../src/lab/servers.js';
import { sessionInitCommands } from '../../src/runner/envelope.js';

/**
 * Every PowerShell command line the runner can send to a server: each step of every plan the
 * catalog renders (all products x standard / enterprise / enterprise collocated, an Enterprise
 * request with every option, and a UNC .zip package), and the session set-up lines.
 */

export interface PlanVariant {
  name: string;
  profile: ServerProfile;
  request: UpdateRequest;
}

export function allVariants(): PlanVariant[] {
  const out: PlanVariant[] = [];
  for (const product of PRODUCT_FAMILIES as readonly ProductFamily[]) {
    const standard = labServerSpec({ server: 'se01', product, edition: 'standard' });
    const enterprise = labServerSpec({
      server: 'be01',
      product,
      edition: 'enterprise',
      sqlServerFqdn: 'sql01.contoso.local',
    });
    out.push({
      name: `${product} standard`,
      profile: standard.profile,
      request: { server: 'se01', edition: 'standard' },
    });
    for (const collocated of [false, true]) {
      out.push({
        name: `${product} enterprise${collocated ? ' collocated' : ''}`,
        profile: enterprise.profile,
        request: { server: 'be01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local', collocated },
      });
    }
  }
  // The options add parameters: graceful drain, force (same version), a mirrored pool the facts named.
  const options = labServerSpec({
    server: 'be02',
    product: 'sfb2019',
    edition: 'enterprise',
    sqlServerFqdn: 'sql02.contoso.local',
  });
  out.push({
    name: 'sfb2019 enterprise mirrored graceful force',
    profile: options.profile,
    request: {
      server: 'be02',
      edition: 'enterprise',
      sqlServerFqdn: 'sql02.contoso.local',
      collocated: false,
      graceful: true,
      force: true,
      poolFqdn: 'be02-pool.contoso.local',
      mirrored: true,
    },
  });
  // A UNC package source and a .zip package render differently.
  const unc = labServerSpec({ server: 'se02', product: 'sfb2019', edition: 'standard' });
  out.push({
    name: 'sfb2019 UNC zip',
    profile: {
      ...unc.profile,
      package: {
        ...unc.profile.package,
        source: '\\\\fs01\\updates$\\SfB CU\\update.zip',
        fileName: 'update.zip',
      },
      stagingDir: 'D:\\Patch Bot\\staging',
    },
    request: { server: 'se02', edition: 'standard' },
  });
  return out;
}

/** Each step's command line, named `<variant> <step id>`; steps without a command are left out. */
export function stepCommands(): { name: string; command: string }[] {
  return allVariants().flatMap(({ name, profile, request }) => {
    const planned = planUpdate(request, profile);
    if (!planned.ok) throw new Error(`${name}: ${planned.error.message}`);
    return planned.value.steps
      .filter((s) => s.command !== '')
      .map((s) => ({ name: `${name} ${s.id}`, command: s.command }));
  });
}

/** The session set-up lines, for a module path with a space in it. */
export function sessionLines(): string[] {
  return sessionInitCommands('C:\\Program Files\\PatchBot\\runner\\powershell\\PatchBot.psm1');
}
