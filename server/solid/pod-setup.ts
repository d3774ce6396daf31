/**
 * What a publication sets up in a pod besides its documents, through `@inrupt/solid-client`: public read access
 * on the container (and, with WAC, on what it will contain), and the registration of the catalogue in the
 * WebID's public type index, where apps look for data of a class.
 *
 * Each is best effort: a pod that does not allow it is reported, and the documents are published all the same.
 *
 * @packageDocumentation
 */
import {
  addUrl, buildThing, createAclFromFallbackAcl, createThing, getResourceAcl, getSolidDataset, getSolidDatasetWithAcl, getThing,
  getPublicDefaultAccess, getPublicResourceAccess, getThingAll, getUrl, getUrlAll, hasAccessibleAcl, hasFallbackAcl, hasResourceAcl, saveAclFor, saveSolidDatasetAt,
  setPublicDefaultAccess, setPublicResourceAccess, setThing, universalAccess, type AclDataset,
} from '@inrupt/solid-client';
import { DFC_B, RDF, SOLID } from '../../ontology/vocabulary.js';
import type { PodFetch } from './publisher.js';

/** The classes a publication registers in the type index. */
export const REGISTERED_CLASSES = [DFC_B.SuppliedProduct, DFC_B.CatalogItem] as const;

function message(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\s+/gu, ' ').slice(0, 200) : String(error);
}

/**
 * Makes a container publicly readable. With WAC, the container's ACL gets public read for it and, as a default,
 * for what it contains (made from the inherited ACL when it has none of its own); otherwise (ACP) the library's
 * universal access API sets public read on the container.
 *
 * @returns what was done, in a line
 */
export async function makePublic(container: string, fetch: PodFetch): Promise<{ ok: boolean; message: string }> {
  try {
    const dataset = await getSolidDatasetWithAcl(container, { fetch });
    if (hasAccessibleAcl(dataset)) {
      let acl: AclDataset | null = hasResourceAcl(dataset) ? getResourceAcl(dataset) : null;
      if (acl === null && hasFallbackAcl(dataset)) acl = createAclFromFallbackAcl(dataset);
      if (acl !== null) {
        // Read added to what the public may do already, never anything taken away (an open pod stays open).
        const resource = getPublicResourceAccess(acl);
        const inherited = getPublicDefaultAccess(acl);
        if (resource.read && inherited.read && hasResourceAcl(dataset)) return { ok: true, message: 'public read access: already set' };
        acl = setPublicDefaultAccess(setPublicResourceAccess(acl, { ...resource, read: true }), { ...inherited, read: true });
        await saveAclFor(dataset, acl, { fetch });
        return { ok: true, message: 'public read access set (WAC, on the container and what it contains)' };
      }
    }
    const access = await universalAccess.setPublicAccess(container, { read: true }, { fetch });
    return access === null
      ? { ok: false, message: 'the pod did not let us set public read access (no access control we can change)' }
      : { ok: true, message: 'public read access set' };
  } catch (error: unknown) {
    return { ok: false, message: `public read access not set: ${message(error)}` };
  }
}

/**
 * Registers `dfc-b:SuppliedProduct` and `dfc-b:CatalogItem` in the WebID's public type index, with the
 * container as their `solid:instanceContainer`; a registration already there is kept.
 *
 * @returns `registered`, `already`, or `none` (no public type index: nothing done), with a line for the report
 */
export async function registerInTypeIndex(webId: string, container: string, fetch: PodFetch): Promise<{ status: 'registered' | 'already' | 'none' | 'failed'; message: string }> {
  try {
    const profile = await getSolidDataset(webId, { fetch });
    const me = getThing(profile, webId);
    const index = me === null ? null : getUrl(me, SOLID.publicTypeIndex);
    if (index === null) return { status: 'none', message: `the WebID ${webId} has no public type index: the catalogue is not registered` };
    let dataset = await getSolidDataset(index, { fetch });
    const existing = getThingAll(dataset).filter((t) => getUrlAll(t, RDF.type).includes(SOLID.TypeRegistration) && getUrlAll(t, SOLID.instanceContainer).includes(container));
    const missing = REGISTERED_CLASSES.filter((cls) => !existing.some((t) => getUrlAll(t, SOLID.forClass).includes(cls)));
    if (missing.length === 0) return { status: 'already', message: `already registered in the type index ${index}` };
    for (const cls of missing) {
      const name = `maillon-${cls.split('#').pop() ?? 'class'}-${Buffer.from(container).toString('base64url').slice(-24)}`;
      let thing = buildThing(createThing({ name })).addUrl(RDF.type, SOLID.TypeRegistration).addUrl(SOLID.forClass, cls).build();
      thing = addUrl(thing, SOLID.instanceContainer, container);
      dataset = setThing(dataset, thing);
    }
    await saveSolidDatasetAt(index, dataset, { fetch });
    return { status: 'registered', message: `registered in the public type index ${index}` };
  } catch (error: unknown) {
    return { status: 'failed', message: `the type index registration failed: ${message(error)}` };
  }
}
