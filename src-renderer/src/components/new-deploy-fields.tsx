import type { Deploy } from '../../../src-shared/api-types.ts';
import { DEPLOY_SLUG_PATTERN, MAX_DEPLOY_NAME_LENGTH } from '../../../src-shared/deploy-names.ts';

/** What is wrong with a new deploy's slug and name, field by field, checked as the server will. */
export interface NewDeployProblems {
  slug?: string;
  name?: string;
}

/** The server's rules (DEPLOY_SLUG_PATTERN, a name of 1 to MAX_DEPLOY_NAME_LENGTH characters), plus a slug already taken among the deploys listed. */
export function newDeployProblems(slug: string, name: string, known: readonly Deploy[]): NewDeployProblems {
  const problems: NewDeployProblems = {};
  if (slug === '') problems.slug = 'Enter a slug: it becomes part of the preview address.';
  else if (slug.length > 63) problems.slug = 'Use at most 63 characters.';
  else if (!DEPLOY_SLUG_PATTERN.test(slug))
    problems.slug = 'Use lowercase letters, digits and hyphens, starting with a letter or digit.';
  else if (known.some((deploy) => deploy.slug === slug))
    problems.slug = `“${slug}” is already a deploy here. Choose it under “An existing deploy”, or pick another slug.`;
  if (name.trim() === '') problems.name = 'Enter a name, as people will see it.';
  else if (name.trim().length > MAX_DEPLOY_NAME_LENGTH)
    problems.name = `Use at most ${MAX_DEPLOY_NAME_LENGTH} characters.`;
  return problems;
}

/** Slug and name of a new deploy, with the rule and any problem under each field. */
export function NewDeployFields(props: {
  slug: string;
  name: string;
  onSlug: (slug: string) => void;
  onName: (name: string) => void;
  problems: NewDeployProblems;
  showProblems: boolean;
  apiUrl: string;
}) {
  const { slug, name, problems } = props;
  // A slug problem shows as soon as there is one (the rule is strict); an empty name only once Deploy was pressed.
  const slugProblem = problems.slug && (props.showProblems || slug !== '') ? problems.slug : null;
  const nameProblem = problems.name && props.showProblems ? problems.name : null;
  return (
    <div className="new-deploy">
      <label className="field">
        <span>Slug</span>
        <input
          value={slug}
          onChange={(event) => props.onSlug(event.target.value)}
          aria-invalid={!!slugProblem}
          aria-describedby="slug-help"
          autoComplete="off"
          spellCheck={false}
        />
        {slugProblem ? (
          <span className="field-error" id="slug-help" role="status">
            {slugProblem}
          </span>
        ) : (
          <span className="field-hint" id="slug-help">
            Previews will be at{' '}
            <span className="path-inline">
              {props.apiUrl}/preview/{slug}/1/
            </span>
          </span>
        )}
      </label>
      <label className="field">
        <span>Name</span>
        <input
          value={name}
          onChange={(event) => props.onName(event.target.value)}
          aria-invalid={!!nameProblem}
          autoComplete="off"
        />
        {nameProblem && <span className="field-error">{nameProblem}</span>}
      </label>
    </div>
  );
}
