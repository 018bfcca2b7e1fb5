/**
 * What each object of a source is expected to have: the source's own views and number of shots
 * when it sets them (a rig that shoots one kind of object, e.g. pinned insects front/back/label
 * beside a copy stand for sheets), else the station's (linking.views, linking.expectedShots).
 */
import type { LinkingConfig, SourceConfig } from '../config/schema.js';

export interface ObjectExpectations {
  /** View names by shot: the first shot of an object is views[0], and so on. */
  views: readonly string[];
  /** Shots an object should have; 0 = no expectation. */
  expectedShots: number;
}

export function expectationsOf(source: Pick<SourceConfig, 'views' | 'expectedShots'> | undefined, linking: Pick<LinkingConfig, 'views' | 'expectedShots'>): ObjectExpectations {
  return { views: source?.views ?? linking.views, expectedShots: source?.expectedShots ?? linking.expectedShots };
}
