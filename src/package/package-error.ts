/** A packaging failure with every problem found, so one run reports them all. */
export class PackageError extends Error {
  readonly problems: readonly string[];

  constructor(heading: string, problems: readonly string[]) {
    super([heading, ...problems.map((problem) => `  - ${problem}`)].join('\n'));
    this.name = 'PackageError';
    this.problems = problems;
  }
}
