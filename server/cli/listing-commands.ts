/**
 * `maillon listing add|list|set|remove`: an enterprise sells another node's catalog items in its own catalogue.
 *
 * @packageDocumentation
 */
import type { NodeParts } from '../main.js';
import { parseMarkup, parsePrice, type ListingTerms, type ListingView } from '../orders/listings.js';
import { UsageError, type Io, type NodeCommandOptions } from './node-commands.js';

/** Options of the listing commands. */
export interface ListingCommandOptions extends NodeCommandOptions {
  readonly price?: string | undefined;
  readonly markup?: string | undefined;
  /** `listing set`: sell at the owner's price (neither a fixed price nor a markup). */
  readonly 'origin-price'?: boolean | undefined;
  /** `listing remove`: cancel the open orders that sell from the listing with it. */
  readonly force?: boolean | undefined;
}

const USAGE = 'usage: maillon listing add ITEM_IRI --enterprise EID [--price P | --markup 15%] | listing list --enterprise EID'
  + ' | listing set ID --enterprise EID (--price P | --markup 15% | --origin-price) | listing remove ID --enterprise EID [--force]';

/** A listing id given on the command line. */
function listingId(arg: string | undefined): number {
  const id = Number(arg);
  if (arg === undefined || !/^\d+$/u.test(arg) || !Number.isSafeInteger(id)) throw new UsageError(USAGE);
  return id;
}

function termsOf(options: ListingCommandOptions): ListingTerms {
  if (options.price !== undefined && options.markup !== undefined) throw new UsageError('give --price or --markup, not both');
  if (options.price !== undefined) {
    const price = parsePrice(options.price);
    if (price === undefined) throw new UsageError(`--price must be an amount above 0 with at most 2 decimals (3.5), not ${JSON.stringify(options.price)}`);
    return { price };
  }
  if (options.markup !== undefined) {
    const markup = parseMarkup(options.markup);
    if (markup === undefined) throw new UsageError(`--markup must be a percentage above -100 (15, 15% or -10%), not ${JSON.stringify(options.markup)}`);
    return { markup };
  }
  return {};
}

function describe(view: ListingView): string {
  const price = view.published.price === null ? 'no price' : `${view.published.price} ${view.published.currency?.split(/[#/:]/u).pop() ?? ''}`.trim();
  const stock = view.published.stock === null ? 'on demand' : `${view.published.stock} in stock`;
  const terms = view.price !== null ? `fixed price ${view.price}` : view.markup !== null ? `markup ${view.markup}%` : 'origin price';
  const pack = view.factor !== 1 ? `, ordered in cases of ${view.factor} (${view.origin.product})` : '';
  const error = view.lastError !== null ? `\n\tlast mirror refused (${view.lastError.at}): ${view.lastError.message}` : '';
  // An item its owner removed is off sale: said first, for the operator to remove the listing or wait for it.
  const state = view.origin.state === 'gone' ? `\n\tGONE at its origin since ${view.origin.goneSince ?? '?'}: not on sale (${view.origin.goneReason ?? 'removed'})` : '';
  return `${view.id}\t${view.item}\n\tfrom ${view.origin.item}\n\t${price}, ${stock}, ${terms}${pack}${state}${error}\n`;
}

/** `maillon listing …`. */
export async function listingCommand(node: NodeParts, sub: string | undefined, arg: string | undefined, options: ListingCommandOptions, io: Io): Promise<number> {
  const eid = options.enterprise;
  if (eid === undefined) throw new UsageError(USAGE);
  switch (sub) {
    case 'add': {
      if (arg === undefined) throw new UsageError(USAGE);
      const view = await node.listings.add(eid, arg, termsOf(options));
      io.out(`listed as ${view.id}: ${describe(view)}`);
      return 0;
    }
    case 'list': {
      const views = await node.listings.list(eid);
      if (views.length === 0) io.out(`enterprise ${eid} lists no item of another node\n`);
      for (const view of views) io.out(describe(view));
      return 0;
    }
    case 'set': {
      const id = listingId(arg);
      const terms = termsOf(options);
      const origin = options['origin-price'] === true;
      if (origin === (terms.price !== undefined || terms.markup !== undefined)) throw new UsageError('listing set: give one of --price, --markup or --origin-price');
      const view = await node.listings.setTerms(eid, id, terms);
      io.out(`listing ${describe(view)}`);
      return 0;
    }
    case 'remove': {
      const id = listingId(arg);
      const { cancelled } = await node.listings.remove(eid, id, { force: options.force === true });
      for (const order of cancelled) io.out(`cancelled order ${order} (and its order at the supplier)\n`);
      io.out(`removed listing ${id} and what it published\n`);
      return 0;
    }
    default:
      throw new UsageError(USAGE);
  }
}
