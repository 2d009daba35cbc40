import { describe, expect, it } from 'vitest';
import { parseLiveNotice } from '../../src/api/live-feed.js';

describe("the live feed's notice", () => {
  it('names the changed environments', () => {
    expect(parseLiveNotice('[["shop","prod"],["shop","dev"]]')).toEqual([
      { project: 'shop', environment: 'prod' },
      { project: 'shop', environment: 'dev' },
    ]);
  });

  it('names nothing for a payload of another shape, and never throws', () => {
    for (const payload of [undefined, '', 'not json', '{}', '"shop"', '[1,2]', '[["shop"]]', '[[1,"prod"]]', '[null]']) {
      expect(parseLiveNotice(payload)).toEqual([]);
    }
    expect(parseLiveNotice('[["shop","prod"],"junk",["shop"]]')).toEqual([{ project: 'shop', environment: 'prod' }]);
  });
});
