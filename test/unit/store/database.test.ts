import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase, type BatchRunner, type SqlConnection } from '../../../server/store/sqlite/database.js';
import { openProbe, writeLocked } from '../../helpers/sqlite.js';

/** Settles to the error a promise rejects with, or fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.fail('expected a rejection'), (error: unknown) => error);
}

async function values(db: SqliteDatabase): Promise<string[]> {
  return (await db.reader.all<{ v: string }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v);
}

describe('SqliteDatabase: write transactions committed in groups, statements kept prepared', () => {
  let dir: string;
  let db: SqliteDatabase;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-database-'));
    // A long grouping window: on a loaded machine, transactions queued together must still be grouped for these tests.
    db = await SqliteDatabase.open(join(dir, 'test.db'), { group: { ms: 10_000 } });
    await db.transaction((tx) => tx.exec(`
      CREATE TABLE t (v TEXT NOT NULL UNIQUE);
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);`));
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (tx: SqlConnection, v: string) => tx.run('INSERT INTO t (v) VALUES (?)', [v]);

  it('a transaction that throws in a group rolls back only itself, after its partial writes; the others commit', async () => {
    const outcomes = await Promise.allSettled([
      db.transaction((tx) => insert(tx, 'a')),
      db.transaction(async (tx) => {
        await insert(tx, 'b1');
        await insert(tx, 'b2');
        throw new Error('b fails after two writes');
      }),
      db.transaction((tx) => insert(tx, 'c')),
      // An engine error (a taken value) in the middle of a group, after a write of its own.
      db.transaction(async (tx) => {
        await insert(tx, 'd');
        await insert(tx, 'a');
      }),
      db.transaction((tx) => insert(tx, 'e')),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(((outcomes[1] as PromiseRejectedResult).reason as Error).message).to.equal('b fails after two writes');
    expect((outcomes[3] as PromiseRejectedResult).reason).to.have.property('code', 'SQLITE_CONSTRAINT');
    expect(await values(db)).to.deep.equal(['a', 'c', 'e']);
  });

  it('the first transaction of a group that throws leaves nothing, and the next ones commit', async () => {
    const outcomes = await Promise.allSettled([
      db.transaction(async (tx) => {
        await insert(tx, 'x');
        throw new Error('first fails');
      }),
      db.transaction((tx) => insert(tx, 'y')),
      db.transaction(async (tx) => {
        await insert(tx, 'z');
        throw new Error('last fails');
      }),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'fulfilled', 'rejected']);
    expect(await values(db)).to.deep.equal(['y']);
  });

  it('a caller is answered only after the commit; until then readers do not see its writes', async () => {
    let firstAnswered = false;
    const seenDuringGroup: { answered: boolean; visible: string[] }[] = [];
    const first = db.transaction((tx) => insert(tx, 'first')).then((value) => {
      firstAnswered = true;
      return value;
    });
    const second = db.transaction(async (tx) => {
      // The writer sees the group's writes so far; a reader (another connection) only what is committed.
      const writerSees = (await tx.all<{ v: string }>('SELECT v FROM t')).map((r) => r.v);
      seenDuringGroup.push({ answered: firstAnswered, visible: await values(db) });
      await insert(tx, 'second');
      return writerSees;
    });
    expect(await second).to.deep.equal(['first']);
    await first;
    expect(seenDuringGroup).to.deep.equal([{ answered: false, visible: [] }]);
    expect(firstAnswered).to.equal(true);
    expect(await values(db)).to.deep.equal(['first', 'second']);
  });

  it('a failed transaction is answered after the group\'s commit too: a retry reads what made it fail', async () => {
    const first = db.transaction((tx) => insert(tx, 'winner'));
    const failing = db.transaction(async (tx) => {
      // It fails on what the one before wrote, which readers cannot see yet.
      if ((await tx.get('SELECT 1 FROM t WHERE v = ?', ['winner'])) !== undefined) throw new Error('lost the race');
    });
    const seenOnFailure = await failing.then(() => expect.fail('expected a rejection'), async () => values(db));
    expect(seenOnFailure).to.deep.equal(['winner']);
    await first;
  });

  it('a commit that fails answers every transaction of its group with its error, and nothing of the group stays', async () => {
    // A deferred foreign key is checked at COMMIT: the whole group's commit fails.
    const outcomes = await Promise.allSettled([
      db.transaction((tx) => insert(tx, 'p')),
      db.transaction((tx) => tx.run('INSERT INTO child (parent) VALUES (42)')),
      db.transaction((tx) => insert(tx, 'q')),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected', 'rejected']);
    for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason).to.have.property('code', 'SQLITE_CONSTRAINT');
    expect(await values(db)).to.deep.equal([]);
    // The writer is usable again.
    await db.transaction((tx) => insert(tx, 'after'));
    expect(await values(db)).to.deep.equal(['after']);
  });

  it('a ROLLBACK that fails leaves no transaction open: it is rolled back before the caller is answered, and the writer writes on', async () => {
    // The writer's connection, made to fail its next ROLLBACK without running it (as an I/O error would).
    const writer = (db as unknown as { writer: SqlConnection }).writer;
    const run = writer.run.bind(writer);
    let failNext = true;
    writer.run = async (sql, params) => {
      if (sql === 'ROLLBACK' && failNext) {
        failNext = false;
        throw Object.assign(new Error('SQLITE_IOERR: disk I/O error'), { code: 'SQLITE_IOERR' });
      }
      return run(sql, params);
    };
    try {
      const failed = await rejection(db.transaction(async (tx) => {
        await insert(tx, 'half-done');
        throw new Error('fails after a write');
      }));
      expect((failed as Error).message).to.equal('fails after a write');
      expect(failNext, 'the ROLLBACK was tried').to.equal(false);
      // Rolled back before the caller was answered: the write lock is free at once, not only at the next write.
      const probe = await openProbe(join(dir, 'test.db'));
      try {
        expect(await writeLocked(probe)).to.equal(false);
      } finally {
        await new Promise<void>((resolve) => probe.close(() => resolve()));
      }
      // And the next groups begin and commit.
      await db.transaction((tx) => insert(tx, 'next'));
      await db.transaction((tx) => insert(tx, 'and the next'));
      expect(await values(db)).to.deep.equal(['next', 'and the next']);
      // In one group: the transaction after the one whose ROLLBACK failed begins and commits.
      failNext = true;
      const outcomes = await Promise.allSettled([
        db.transaction(async (tx) => {
          await insert(tx, 'half-done again');
          throw new Error('fails after a write');
        }),
        db.transaction((tx) => insert(tx, 'same group')),
      ]);
      expect(failNext, 'the ROLLBACK was tried').to.equal(false);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'fulfilled']);
      expect(await values(db)).to.deep.equal(['next', 'and the next', 'same group']);
    } finally {
      writer.run = run;
    }
  });

  it('many queued transactions, some failing, each stay atomic: the counter is the sum of those that committed', async () => {
    const attempts = 300;
    const outcomes = await Promise.allSettled(Array.from({ length: attempts }, (_, i) => db.transaction(async (tx) => {
      await tx.run('UPDATE counter SET n = n + 1');
      await insert(tx, `v${i}`);
      await tx.run('UPDATE counter SET n = n + 1');
      if (i % 7 === 3) throw new Error(`unit ${i} fails`);
      return i;
    })));
    const committed = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<number>).value);
    expect(committed).to.have.length(attempts - Math.ceil((attempts - 3) / 7));
    expect(committed).to.deep.equal([...committed].sort((a, b) => a - b));
    const counter = await db.reader.get<{ n: number }>('SELECT n FROM counter');
    expect(counter?.n).to.equal(2 * committed.length);
    expect(await values(db)).to.deep.equal(committed.map((i) => `v${i}`));
  });

  it('transactions run one at a time, in the order asked, each seeing the ones before it', async () => {
    const seen = await Promise.all(Array.from({ length: 20 }, (_, i) => db.transaction(async (tx) => {
      const before = await tx.get<{ n: number }>('SELECT n FROM counter');
      await new Promise((resolve) => setTimeout(resolve, 1));
      await tx.run('UPDATE counter SET n = ?', [(before?.n ?? 0) + 1]);
      return [i, before?.n];
    })));
    expect(seen).to.deep.equal(Array.from({ length: 20 }, (_, i) => [i, i]));
  });

  it('a transaction alone is not grouped: the one before it is committed when it runs, and it is when the next one runs', async () => {
    const visible: string[][] = [];
    await Promise.all([
      db.transaction((tx) => insert(tx, 'before')),
      db.transaction(async (tx) => {
        visible.push(await values(db));
        await insert(tx, 'alone');
      }, { alone: true }),
      db.transaction(async (tx) => {
        visible.push(await values(db));
        await insert(tx, 'after');
      }),
    ]);
    expect(visible).to.deep.equal([['before'], ['before', 'alone']]);
  });

  describe('long transactions that share a commit (shares)', () => {
    /** A long transaction of `kind` writing `rows` rows: it inserts `v`, after noting what readers see. */
    const long = (visible: string[][], v: string, rows: number, kind = 'apply', fail = false) => db.transaction(async (tx) => {
      visible.push(await values(db));
      await insert(tx, v);
      if (fail) throw new Error(`${v} fails after its write`);
    }, { shares: { kind, rows } });
    const short = (visible: string[][], v: string) => db.transaction(async (tx) => {
      visible.push(await values(db));
      await insert(tx, v);
    });

    it('queued behind each other, they commit once, with the short ones between them; a failure rolls back its own writes only', async () => {
      const visible: string[][] = [];
      const outcomes = await Promise.allSettled([
        long(visible, 'a', 3000), short(visible, 's'), long(visible, 'b', 3000, 'apply', true), long(visible, 'c', 3000), short(visible, 't'),
      ]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      // a, s, b and c in one commit (nothing of it seen before it); t, with no long one after it, in the next.
      expect(visible).to.deep.equal([[], [], [], [], ['a', 's', 'c']]);
      expect(await values(db)).to.deep.equal(['a', 's', 'c', 't']);
    });

    it('a group takes no more rows than its bound, nor a long one of another kind, nor a transaction alone', async () => {
      await db.close();
      db = await SqliteDatabase.open(join(dir, 'test.db'), { group: { ms: 10_000, sharedRows: 5000 } });
      const visible: string[][] = [];
      await Promise.all([
        long(visible, 'a', 3000), long(visible, 'b', 2000), long(visible, 'c', 1),
        long(visible, 'd', 10), long(visible, 'e', 10, 'other'),
        long(visible, 'f', 10), db.transaction(async (tx) => {
          visible.push(await values(db));
          await insert(tx, 'g');
        }, { alone: true }),
      ]);
      expect(visible).to.deep.equal([
        // a and b fill the bound: c begins the next commit, with d.
        [], [], ['a', 'b'], ['a', 'b'],
        // e is of another kind, alone, and f can share with nothing: the alone g is behind it.
        ['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd', 'e', 'f'],
      ]);
    });

    it('a refresh of the statistics queued between them does not end their commit: it runs right after it', async () => {
      const visible: string[][] = [];
      const order: string[] = [];
      await Promise.all([
        long(visible, 'a', 3000).then(() => order.push('a')), db.optimize().then(() => order.push('optimize')),
        long(visible, 'b', 3000).then(() => order.push('b')), short(visible, 's').then(() => order.push('s')),
      ]);
      // a and b in one commit; the refresh after it; s, with no long one after it, in the next.
      expect(visible).to.deep.equal([[], [], ['a', 'b']]);
      expect(order).to.deep.equal(['a', 'b', 'optimize', 's']);
    });

    it('a lone one is not held back for company: it commits when it ends, and the short ones behind it with no long one after them go on as usual', async () => {
      const visible: string[][] = [];
      await long(visible, 'a', 3000);
      expect(await values(db)).to.deep.equal(['a']);
      await Promise.all([long(visible, 'b', 3000), short(visible, 's'), short(visible, 't')]);
      // s and t are not held by b (b ends its group: no long one is queued after them).
      expect(visible).to.deep.equal([[], ['a'], ['a', 'b'], ['a', 'b']]);
    });
  });

  it('a group holds at most the configured number of transactions', async () => {
    await db.close();
    db = await SqliteDatabase.open(join(dir, 'test.db'), { group: { units: 2, ms: 10_000 } });
    const visible: string[][] = [];
    await Promise.all(['a', 'b', 'c'].map((v) => db.transaction(async (tx) => {
      visible.push(await values(db));
      await insert(tx, v);
    })));
    // a and b commit together; c runs in the next group, after their commit.
    expect(visible).to.deep.equal([[], [], ['a', 'b']]);
  });

  describe('work deferred to the end of the group', () => {
    /** Increments the counter and leaves one deferred copy of it in t, keyed "copy". */
    const bump = (options: { fail?: boolean; overlook?: boolean } = {}) => db.transaction(async (tx, context) => {
      await tx.run('UPDATE counter SET n = n + 1');
      context.defer('copy', async (w) => {
        await w.run("INSERT INTO t (v) SELECT 'copy ' || n FROM counter");
      });
      if (options.fail === true) throw new Error('bump fails after deferring');
      return (await tx.get<{ v: string }>("SELECT group_concat(v) AS v FROM t WHERE v LIKE 'copy %'"))?.v ?? null;
    }, { overlooksDeferred: options.overlook ?? true });

    it('runs once per key before the group commits, after every transaction that left it', async () => {
      const seen = await Promise.all([bump(), bump(), bump()]);
      // None of them saw a copy: the work was left for later, not run for each.
      expect(seen).to.deep.equal([null, null, null]);
      expect(await values(db)).to.deep.equal(['copy 3']);
      expect((await db.reader.get<{ n: number }>('SELECT n FROM counter'))?.n).to.equal(3);
    });

    it('runs before a transaction of the group that does not overlook it, which sees its writes', async () => {
      const outcomes = await Promise.all([
        bump(),
        db.transaction(async (tx) => (await tx.all<{ v: string }>('SELECT v FROM t')).map((r) => r.v)),
        bump(),
      ]);
      expect(outcomes[1]).to.deep.equal(['copy 1']);
      expect(await values(db)).to.deep.equal(['copy 1', 'copy 2']);
    });

    it('is dropped with a transaction that fails after leaving it; the work of the others stays', async () => {
      const outcomes = await Promise.allSettled([bump({ fail: true }), bump(), bump({ fail: true })]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'fulfilled', 'rejected']);
      expect(await values(db)).to.deep.equal(['copy 1']);
      const alone = await Promise.allSettled([bump({ fail: true })]);
      expect(alone[0]?.status).to.equal('rejected');
      expect(await values(db)).to.deep.equal(['copy 1']);
    });

    it('that fails loses the whole group: every transaction of it fails and nothing stays; the next group runs', async () => {
      const failing = (v: string) => db.transaction(async (tx, context) => {
        await insert(tx, v);
        // A taken value: the deferred insert breaks the UNIQUE constraint.
        context.defer('dup', (w) => w.run("INSERT INTO t (v) VALUES ('a')"));
      }, { overlooksDeferred: true });
      const outcomes = await Promise.allSettled([
        failing('a'),
        failing('b'),
        // Not overlooking: the deferred work runs before it, fails, and it goes to the next group.
        db.transaction((tx) => insert(tx, 'c')),
      ]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected', 'fulfilled']);
      expect((outcomes[0] as PromiseRejectedResult).reason).to.have.property('code', 'SQLITE_CONSTRAINT');
      expect(await values(db)).to.deep.equal(['c']);
    });
  });

  describe('transactions that share one statement (batch)', () => {
    /** The parts of each call of the runner, in order. */
    let calls: string[][];
    /**
     * Inserts every part's value in one statement; a part "stale:…" fails (writing nothing), as a conditional
     * write that finds its row changed. A value taken already breaks the statement as a whole.
     */
    const runner: BatchRunner<string> = async (tx, parts) => {
      calls.push([...parts]);
      const written = parts.filter((part) => !part.startsWith('stale:'));
      if (written.length > 0) await tx.run('INSERT INTO t (v) SELECT value FROM json_each(?)', [JSON.stringify(written)]);
      return parts.map((part) => (part.startsWith('stale:') ? { error: new Error(`${part} changed meanwhile`) } : { value: part }));
    };
    /** A transaction whose work, run alone, inserts its value; batched, the runner does the same. */
    const batched = (v: string, keys: readonly string[] = [v]) => db.transaction(async (tx) => {
      if (v.startsWith('stale:')) throw new Error(`${v} changed meanwhile`);
      await insert(tx, v);
      return `${v} alone`;
    }, { batch: { runner: runner as BatchRunner<unknown>, part: v, keys } });

    /** A transaction alone, queued first: the ones after it start a group of their own, whatever the writer was doing. */
    const first = () => db.transaction(async (tx) => void await insert(tx, 'first'), { alone: true });

    beforeEach(() => {
      calls = [];
    });

    it('run queued together in one call, each answered with its own outcome after the commit; a failed part leaves nothing', async () => {
      const outcomes = await Promise.allSettled([first(), ...['a', 'b', 'stale:c', 'd'].map((v) => batched(v))]);
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : ((o as PromiseRejectedResult).reason as Error).message)))
        .to.deep.equal([undefined, 'a', 'b', 'stale:c changed meanwhile', 'd']);
      expect(calls).to.deep.equal([['a', 'b', 'stale:c', 'd']]);
      expect(await values(db)).to.deep.equal(['first', 'a', 'b', 'd']);
    });

    it('never put two parts with a key in common in one call: the later runs after, and sees the earlier', async () => {
      const seen: string[][] = [];
      await Promise.all([
        first(),
        batched('x1', ['x']), batched('y', ['y']), batched('x2', ['x']), batched('z', ['z']),
        // Not batched: it ends the run of batched transactions, and sees every one before it.
        db.transaction(async (tx) => void seen.push((await tx.all<{ v: string }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v))),
        batched('w', ['w']),
      ]);
      expect(calls).to.deep.equal([['x1', 'y'], ['x2', 'z'], ['w']]);
      expect(seen).to.deep.equal([['first', 'x1', 'y', 'x2', 'z']]);
      expect(await values(db)).to.deep.equal(['first', 'x1', 'y', 'x2', 'z', 'w']);
    });

    it('that fails as a whole runs each transaction alone, by its own work: only the one at fault fails', async () => {
      await db.transaction((tx) => insert(tx, 'taken'));
      const outcomes = await Promise.allSettled([
        db.transaction((tx) => insert(tx, 'before')),
        batched('p'), batched('taken'), batched('stale:q'), batched('r'),
      ]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
      expect((outcomes[2] as PromiseRejectedResult).reason).to.have.property('code', 'SQLITE_CONSTRAINT');
      // Run alone: the values of their own work.
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : undefined)).slice(1)).to.deep.equal(['p alone', undefined, undefined, 'r alone']);
      expect(calls).to.deep.equal([['p', 'taken', 'stale:q', 'r']]);
      expect(await values(db)).to.deep.equal(['taken', 'before', 'p', 'r']);
    });

    it('that fails as the first of its group leaves nothing, and each then runs alone', async () => {
      await db.transaction((tx) => insert(tx, 'taken'));
      const outcomes = await Promise.allSettled([first(), batched('m'), batched('taken'), batched('n')]);
      expect(calls).to.deep.equal([['m', 'taken', 'n']]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : undefined)).slice(1)).to.deep.equal(['m alone', undefined, 'n alone']);
      expect(await values(db)).to.deep.equal(['taken', 'first', 'm', 'n']);
    });

    it('tells the runner whether it opens the transaction; one that does and then fails leaves nothing of what it wrote', async () => {
      const opened: boolean[] = [];
      /** Two statements, no savepoint when it opens the transaction: the second fails for a part "taken". */
      const twoSteps: BatchRunner<string> = async (tx, parts, context) => {
        opened.push(context.opensTransaction);
        await tx.run('INSERT INTO t (v) SELECT value FROM json_each(?)', [JSON.stringify(parts.map((p) => `${p}-1`))]);
        if (!context.opensTransaction) await tx.run('SAVEPOINT two_steps');
        await tx.run('INSERT INTO t (v) SELECT value FROM json_each(?)', [JSON.stringify(parts)]);
        if (!context.opensTransaction) await tx.run('RELEASE two_steps');
        return parts.map((part) => ({ value: part }));
      };
      const step = (v: string) => db.transaction(async (tx) => {
        await insert(tx, v);
        return `${v} alone`;
      }, { batch: { runner: twoSteps as BatchRunner<unknown>, part: v, keys: [v] } });
      await db.transaction((tx) => insert(tx, 'taken'));
      // First of their group: it opens the transaction, fails at its second statement, and nothing of the first stays.
      const alone = await Promise.allSettled([first(), step('e'), step('taken'), step('f')]);
      expect(alone.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      // After another transaction of its group: it does not open it.
      await Promise.all([db.transaction((tx) => insert(tx, 'g')), step('h'), step('i')]);
      expect(opened).to.deep.equal([true, false]);
      expect(await values(db)).to.deep.equal(['taken', 'first', 'e', 'f', 'g', 'h-1', 'i-1', 'h', 'i']);
    });

    it('runs after the work deferred by the transactions before it, which it sees done', async () => {
      let seen: string[] = [];
      const reading: BatchRunner<string> = async (tx, parts) => {
        seen = (await tx.all<{ v: string }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v);
        return parts.map((part) => ({ value: part }));
      };
      await Promise.all([
        first(),
        db.transaction(async (tx, context) => {
          await tx.run('UPDATE counter SET n = n + 1');
          context.defer('copy', (w) => w.run("INSERT INTO t (v) SELECT 'copy ' || n FROM counter"));
        }, { overlooksDeferred: true }),
        db.transaction(async () => undefined, { batch: { runner: reading as BatchRunner<unknown>, part: 'reader', keys: ['r'] } }),
      ]);
      expect(seen).to.deep.equal(['first', 'copy 1']);
    });

    it('runs by their own work the transactions of a run shorter than the runner\'s fewest', async () => {
      const few = (v: string) => db.transaction((tx) => insert(tx, v).then(() => `${v} alone`), {
        batch: { runner: runner as BatchRunner<unknown>, part: v, keys: [v], fewest: 3 },
      });
      // first() holds the writer: the next two queue together, then two more after a transaction that ends their run.
      const outcomes = await Promise.all([first(), few('a'), few('b'), db.transaction(async (tx) => void await insert(tx, 'c')), few('d'), few('e'), few('f')]);
      expect(outcomes).to.deep.equal([undefined, 'a alone', 'b alone', undefined, 'd', 'e', 'f']);
      expect(calls).to.deep.equal([['d', 'e', 'f']]);
      expect(await values(db)).to.deep.equal(['first', 'a', 'b', 'c', 'd', 'e', 'f']);
    });

    it('keeps the work a runner deferred when its statement stands, and drops it when it fails as a whole', async () => {
      const deferring: BatchRunner<string> = async (tx, parts, context) => {
        if (parts.includes('break')) {
          // Written, deferred, then the statement fails as a whole: the runner undoes what it wrote.
          await tx.run("INSERT INTO t (v) VALUES ('undone')");
          context.defer('never', (w) => w.run("INSERT INTO t (v) VALUES ('deferred by a failed runner')"));
          await tx.run("DELETE FROM t WHERE v = 'undone'");
          throw new Error('failed as a whole');
        }
        context.defer('once', (w) => w.run("INSERT INTO t (v) VALUES ('deferred once')"));
        return parts.map((part) => ({ value: part }));
      };
      const deferred = (v: string) => db.transaction(async () => `${v} alone`, { batch: { runner: deferring as BatchRunner<unknown>, part: v, keys: [v] } });
      expect(await Promise.all([first(), deferred('a'), deferred('b')])).to.deep.equal([undefined, 'a', 'b']);
      const holder = () => db.transaction(async (tx) => void await insert(tx, 'holder'), { alone: true });
      expect(await Promise.all([holder(), deferred('c'), deferred('break')])).to.deep.equal([undefined, 'c alone', 'break alone']);
      expect(await values(db)).to.deep.equal(['first', 'deferred once', 'holder']);
    });

    it('of a one-statement runner, first of their group, run outside any transaction and end the group; failing as a whole, each runs alone', async () => {
      /** Whether the writer is inside a transaction: a BEGIN then fails. */
      const inTransaction = (tx: SqlConnection) => tx.run('BEGIN').then(async () => (await tx.run('ROLLBACK'), false), () => true);
      /** Holds the writer alone: the transactions queued behind it start a group of their own. */
      const hold = (v: string) => db.transaction(async (tx) => void await insert(tx, v), { alone: true });
      const seen: boolean[] = [];
      const single: BatchRunner<string> = async (tx, parts, context) => {
        const inside = await inTransaction(tx);
        seen.push(inside);
        // Outside a transaction there is nothing to defer work to.
        if (!inside) expect(() => context.defer('x', async () => undefined)).to.throw();
        return runner(tx, parts, context);
      };
      const one = (v: string) => db.transaction(async (tx) => {
        await insert(tx, v);
        return `${v} alone`;
      }, { batch: { runner: single as BatchRunner<unknown>, part: v, keys: [v], oneStatement: true } });
      await db.transaction((tx) => insert(tx, 'taken'));
      const outcomes = await Promise.allSettled([hold('first'), one('a'), one('stale:b'), one('c'), db.transaction(async (tx) => void await insert(tx, 'after'))]);
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : ((o as PromiseRejectedResult).reason as Error).message)))
        .to.deep.equal([undefined, 'a', 'stale:b changed meanwhile', 'c', undefined]);
      // Behind another transaction of the group, a one-statement runner is an ordinary batch in it.
      const grouped = await Promise.all([hold('second'), db.transaction(async (tx) => void await insert(tx, 'g')), one('h'), one('i')]);
      expect(grouped).to.deep.equal([undefined, undefined, 'h', 'i']);
      // Failing as a whole (a value taken), nothing of the statement stays: each then runs alone, by its own work.
      const broken = await Promise.allSettled([hold('third'), one('j'), one('taken'), one('k')]);
      expect(broken.map((o) => (o.status === 'fulfilled' ? o.value : 'failed'))).to.deep.equal([undefined, 'j alone', 'failed', 'k alone']);
      expect(seen).to.deep.equal([false, true, false]);
      expect(await values(db)).to.deep.equal(['taken', 'first', 'a', 'c', 'after', 'second', 'g', 'h', 'i', 'third', 'j', 'k']);
    });

    it('given to an idle writer, wait for the end of the turn: the ones queued a few promises later share the statement', async () => {
      const later = async (v: string) => {
        await Promise.resolve();
        await Promise.resolve();
        return batched(v);
      };
      expect(await Promise.all([batched('a'), later('b'), later('c')])).to.deep.equal(['a', 'b', 'c']);
      expect(calls).to.deep.equal([['a', 'b', 'c']]);
    });

    it('is not batched when alone', async () => {
      await Promise.all([
        db.transaction((tx) => insert(tx, 'one')),
        db.transaction((tx) => insert(tx, 'alone'), { alone: true, batch: { runner: runner as BatchRunner<unknown>, part: 'alone', keys: [] } }),
      ]);
      expect(calls).to.deep.equal([]);
      expect(await values(db)).to.deep.equal(['one', 'alone']);
    });
  });

  it('a statement that does not compile fails its call only, and the same SQL fails again (not kept)', async () => {
    for (let i = 0; i < 2; i++) {
      expect(await rejection(db.reader.all('SELECT nope FROM t'))).to.have.property('code', 'SQLITE_ERROR');
      expect(await rejection(db.transaction((tx) => tx.run('INSERT INTO nowhere VALUES (1)')))).to.have.property('code', 'SQLITE_ERROR');
    }
    await db.transaction((tx) => insert(tx, 'fine'));
    expect(await values(db)).to.deep.equal(['fine']);
  });

  it('a kept statement gives fresh results: a get steps to its end, so a reader never stays on an old snapshot', async () => {
    for (let i = 0; i < 5; i++) {
      await db.transaction((tx) => insert(tx, `r${i}`));
      // Same SQL each time, on the same reader connections: each read sees the commit just made.
      expect(await db.reader.get<{ n: number }>('SELECT count(*) AS n FROM t')).to.deep.equal({ n: i + 1 });
      expect(await db.reader.get<{ v: string }>('SELECT v FROM t ORDER BY rowid')).to.deep.equal({ v: 'r0' });
    }
  });

  it('evicts the least recently used statements beyond its capacity, and still closes', async () => {
    // More distinct statements than a connection keeps (512): each one compiled, used, and later finalized.
    for (let i = 0; i < 700; i++) {
      expect(await db.reader.get<{ x: number }>(`SELECT ${i} AS x`)).to.deep.equal({ x: i });
    }
    await Promise.all(Array.from({ length: 600 }, (_, i) => db.transaction((tx) => tx.get(`SELECT ${i} AS x`))));
  });

  it('runs bulk statements (many parameters, compiled for the call) as the others', async () => {
    const many = Array.from({ length: 150 }, (_, i) => `b${i}`);
    await db.transaction((tx) => tx.run(`INSERT INTO t (v) VALUES ${many.map(() => '(?)').join(', ')}`, many));
    const marks = many.map(() => '?').join(',');
    expect(await db.reader.get<{ n: number }>(`SELECT count(*) AS n FROM t WHERE v IN (${marks})`, many)).to.deep.equal({ n: 150 });
    expect(await db.transaction((tx) => tx.all(`SELECT v FROM t WHERE v IN (${marks})`, many))).to.have.length(150);
  });

  it('optimize is queued between transactions', async () => {
    await Promise.all([db.transaction((tx) => insert(tx, 'a')), db.optimize(), db.transaction((tx) => insert(tx, 'b'))]);
    expect(await values(db)).to.deep.equal(['a', 'b']);
  });

  it('close waits for the queued transactions', async () => {
    const pending = db.transaction((tx) => insert(tx, 'late'));
    await db.close();
    await pending;
    db = await SqliteDatabase.open(join(dir, 'test.db'));
    expect(await values(db)).to.deep.equal(['late']);
  });
});

describe('SqliteDatabase: the write-ahead log copied into the file beside the writer', () => {
  let dir: string;
  let db: SqliteDatabase;
  const file = (): string => join(dir, 'test.db');
  const size = (path: string): number => (existsSync(path) ? statSync(path).size : 0);
  /** About 400 KiB a transaction: a hundred pages of the log. */
  const write = (tx: SqlConnection, i: number): Promise<unknown> => tx.run('INSERT INTO t (v) VALUES (?)', [`${i}:${'x'.repeat(400 * 1024)}`]);
  const settle = async (check: () => boolean | Promise<boolean>): Promise<boolean> => {
    for (let i = 0; i < 200 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    return check();
  };
  /**
   * The frames the log holds now (from its start: a log started again holds only what was written since), read by a
   * connection of the test's own; undefined while a checkpoint of the node's is running (only one runs at a time).
   */
  const frames = async (): Promise<number | undefined> => {
    const probe = await openProbe(file());
    try {
      const row = await new Promise<{ busy: number; log: number }>((resolve, reject) =>
        probe.get('PRAGMA wal_checkpoint(PASSIVE)', (e: Error | null, r: { busy: number; log: number }) => (e === null ? resolve(r) : reject(e))));
      return row.busy === 0 ? row.log : undefined;
    } finally {
      await new Promise<void>((resolve) => probe.close(() => resolve()));
    }
  };
  const settledFrames = async (): Promise<number> => {
    let seen: number | undefined;
    await settle(async () => (seen = await frames()) !== undefined);
    return seen ?? -1;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-checkpoint-'));
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('what commits write reaches the database file soon after, copied beside the writer while the node runs', async () => {
    db = await SqliteDatabase.open(file());
    await db.transaction((tx) => tx.exec('CREATE TABLE t (v TEXT NOT NULL)'));
    const before = size(file());
    for (let i = 0; i < 8; i++) await db.transaction((tx) => write(tx, i));
    // Without a checkpoint (the writer's own are off), the file would stay as it was until the last connection closed.
    expect(await settle(() => size(file()) - before >= 8 * 400 * 1024), `database file ${size(file())} bytes, was ${before}`).to.equal(true);
    expect(await db.reader.get<{ n: number }>('SELECT count(*) AS n FROM t')).to.deep.equal({ n: 8 });
  });

  it('with a spacing, the commits of its interval are copied by one copy, once the interval has passed', async () => {
    // The node's timers, driven by the test: a copy put off waits for its task to be run.
    const waiting: (() => void)[] = [];
    let cancelled = 0;
    const later = (ms: number, task: () => void): (() => void) => {
      expect(ms).to.be.above(0).and.at.most(60_000);
      waiting.push(task);
      return () => void cancelled++;
    };
    db = await SqliteDatabase.open(file(), { checkpointSpacing: { ms: 60_000, later } });
    await db.transaction((tx) => tx.exec('CREATE TABLE t (v TEXT NOT NULL)'));
    // The copy at opening began the interval: these commits wait in the log, one copy put off for them all.
    await settle(() => size(file()) > 0);
    const before = size(file());
    for (let i = 0; i < 4; i++) await db.transaction((tx) => write(tx, i));
    expect(await settle(() => waiting.length > 0)).to.equal(true);
    expect(waiting).to.have.length(1);
    expect(size(file())).to.equal(before);
    expect(await db.reader.get<{ n: number }>('SELECT count(*) AS n FROM t')).to.deep.equal({ n: 4 });
    // The interval passed: one copy takes them all into the file.
    (waiting.shift() as () => void)();
    expect(await settle(() => size(file()) - before >= 4 * 400 * 1024), `database file ${size(file())} bytes, was ${before}`).to.equal(true);
    // A commit now is put off again; closing cancels the copy put off, and the last connection copies what is left.
    await db.transaction((tx) => write(tx, 4));
    expect(await settle(() => waiting.length > 0)).to.equal(true);
    await db.close();
    expect(cancelled).to.equal(1);
    db = await SqliteDatabase.open(file());
    expect(await db.reader.get<{ n: number }>('SELECT count(*) AS n FROM t')).to.deep.equal({ n: 5 });
  });

  it('with a spacing whose timer was cancelled from outside (a node stopping), a later commit is still copied', async () => {
    // Timers that never run what they are given: as the node's, once `cancelAll` ran.
    let asked = 0;
    db = await SqliteDatabase.open(file(), { checkpointSpacing: { ms: 50, later: () => { asked += 1; return () => undefined; } } });
    await db.transaction((tx) => tx.exec('CREATE TABLE t (v TEXT NOT NULL)'));
    await settle(() => size(file()) > 0);
    const before = size(file());
    await db.transaction((tx) => write(tx, 0));
    expect(await settle(() => asked > 0)).to.equal(true);
    // Long after the copy put off was due, another commit: it is not left waiting for a timer that will never run.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await db.transaction((tx) => write(tx, 1));
    expect(await settle(() => size(file()) - before >= 2 * 400 * 1024), `database file ${size(file())} bytes, was ${before}`).to.equal(true);
  });

  it('a writer that never pauses still has its log started again past the limit: the log stays bounded', async () => {
    db = await SqliteDatabase.open(file(), { walRestartFrames: 200 });
    await db.transaction((tx) => tx.exec('CREATE TABLE t (v TEXT NOT NULL)'));
    // Forty transactions queued at once, each its own commit, back to back: 16 MB through the log, no pause between
    // them for a passive checkpoint to leave the log copied before the next write begins (the copies run beside the
    // writer, and a restart queued by one must not find the next copy running: it would give up).
    await Promise.all(Array.from({ length: 40 }, (_, i) => db.transaction((tx) => write(tx, i), { alone: true })));
    expect(await db.reader.get<{ n: number }>('SELECT count(*) AS n FROM t')).to.deep.equal({ n: 40 });
    expect(size(`${file()}-wal`)).to.be.below(10 * 1024 * 1024);
  });

  it('a reader that stays on an old state of the log puts its restart off, and the writes go on meanwhile', async () => {
    db = await SqliteDatabase.open(file(), { walRestartFrames: 200 });
    await db.transaction((tx) => tx.exec('CREATE TABLE t (v TEXT NOT NULL)'));
    await db.transaction((tx) => write(tx, 0));
    // A read transaction of another connection, kept open on what the log held then (a long export, say).
    const reader = await openProbe(file());
    const exec = (sql: string): Promise<void> => new Promise((resolve, reject) => reader.exec(sql, (e: Error | null) => (e === null ? resolve() : reject(e))));
    await exec('BEGIN; SELECT count(*) FROM t;');
    try {
      // Past the limit: the log cannot be copied past what the reader reads, so it is not started again; writes go on.
      for (let i = 1; i <= 14; i++) await db.transaction((tx) => write(tx, i), { alone: true });
      expect(await settledFrames()).to.be.above(14 * 100);
    } finally {
      await exec('COMMIT;');
      await new Promise<void>((resolve) => reader.close(() => resolve()));
    }
    expect(await db.reader.get<{ n: number }>('SELECT count(*) AS n FROM t')).to.deep.equal({ n: 15 });
    // The reader gone, the copies catch up and the log starts again at a write after the restart: within a few
    // writes it holds only what came after.
    let restarted = false;
    for (let i = 15; i < 30 && !restarted; i++) {
      await db.transaction((tx) => write(tx, i), { alone: true });
      restarted = (await settledFrames()) < 4 * 110;
    }
    expect(restarted).to.equal(true);
  });

  it('a restart of the log asked while a group awaits its deferred work runs before the next transaction, and each transaction once', async () => {
    db = await SqliteDatabase.open(file(), { group: { ms: 10_000 } });
    await db.transaction((tx) => tx.exec('CREATE TABLE t (v TEXT NOT NULL)'));
    const ran: string[] = [];
    // What the checkpointer does when the log is past its limit, here from the deferred work of a group's transaction.
    const urgently = (work: () => Promise<void>): Promise<void> =>
      (db as unknown as { bare(w: () => Promise<void>, next: boolean): Promise<void> }).bare(work, true);
    let restarted: Promise<void> | undefined;
    await Promise.all([
      db.transaction(async (tx, context) => {
        await tx.run("INSERT INTO t (v) VALUES ('a')");
        context.defer('k', async () => {
          restarted = urgently(async () => void ran.push('restart'));
          await new Promise((resolve) => setTimeout(resolve, 5));
        });
      }),
      db.transaction(async (tx) => {
        ran.push('b');
        await tx.run("INSERT INTO t (v) VALUES ('b')");
      }),
      db.transaction(async (tx) => {
        ran.push('c');
        await tx.run("INSERT INTO t (v) VALUES ('c')");
      }),
    ]);
    await restarted;
    expect(ran.filter((r) => r !== 'restart')).to.deep.equal(['b', 'c']);
    expect(ran).to.include('restart');
    expect((await db.reader.all<{ v: string }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v)).to.deep.equal(['a', 'b', 'c']);
  });

  it('a checkpoint connection that keeps failing gives the checkpoints back to the writer: the log is still copied', async () => {
    db = await SqliteDatabase.open(file());
    await db.transaction((tx) => tx.exec('CREATE TABLE t (v TEXT NOT NULL)'));
    // The checkpointer's connection closed under it: every copy fails from now on.
    const checkpointDb = (db as unknown as { checkpointer: { db: { close(cb: (e: Error | null) => void): void } } }).checkpointer.db;
    await new Promise<void>((resolve, reject) => checkpointDb.close((e) => (e === null ? resolve() : reject(e))));
    const before = size(file());
    for (let i = 0; i < 10; i++) await db.transaction((tx) => write(tx, i));
    const writerCheckpoints = await db.transaction((tx) => tx.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint'));
    expect(writerCheckpoints).to.deep.equal({ wal_autocheckpoint: 1000 });
    // Past a thousand pages, the writer's own checkpoint copies the log into the file.
    for (let i = 10; i < 25; i++) await db.transaction((tx) => write(tx, i));
    expect(size(file()) - before).to.be.at.least(10 * 400 * 1024);
  });

  it('closes while a copy is due or running, and leaves no log behind', async () => {
    db = await SqliteDatabase.open(file());
    await db.transaction((tx) => tx.exec('CREATE TABLE t (v TEXT NOT NULL)'));
    await Promise.all(Array.from({ length: 5 }, (_, i) => db.transaction((tx) => write(tx, i), { alone: true })));
    await db.close();
    expect(size(`${file()}-wal`)).to.equal(0);
    db = await SqliteDatabase.open(file());
    expect(await db.reader.get<{ n: number }>('SELECT count(*) AS n FROM t')).to.deep.equal({ n: 5 });
  });
});
