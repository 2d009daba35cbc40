import { describe, expect, it } from 'vitest';
import { validateBranch, validateCommitSha, validateOpsRepoSource, validateOpsRepoUrl, validateRepoPath } from '../../src/git/validate.js';
import { failureOfSync } from '../support/failures.js';


const fileAllowed = { allowFileUrls: true };
const fileRefused = { allowFileUrls: false };

describe('validateOpsRepoUrl', () => {
  it.each([
    'https://github.com/acme/ops.git',
    'https://git.example.com:8443/group/sub/ops',
    'ssh://git@github.com/acme/ops.git',
    'ssh://github.com:2222/acme/ops.git',
    'git@github.com:acme/ops.git',
    'deploy-bot@git.internal:platform/ops',
  ])('accepts %s', (url) => {
    expect(validateOpsRepoUrl(url, fileRefused)).toBe(url);
  });

  it.each([
    ['ext::sh -c touch% /tmp/pwned', /remote helper ext::/],
    ['EXT::ssh', /remote helper EXT::/],
    ['fd::3', /remote helper fd::/],
    ['--upload-pack=touch /tmp/pwned', /starts with "-"/],
    ['-oProxyCommand=x', /starts with "-"/],
    ['http://github.com/acme/ops.git', /uses the http:\/\/ transport/],
    ['git://github.com/acme/ops.git', /uses the git:\/\/ transport/],
    ['/srv/git/ops.git', /neither a URL/],
    ['github.com:acme/ops.git', /neither a URL/],
    ['git@-oProxyCommand=x:ops', /neither a URL/],
    ['git@github.com:-ops', /path starting with "-"/],
    ['https://github.com', /names no repository path/],
    ['https://github.com/acme/ops .git', /whitespace/],
    ['https://github.com/acme/ops\n.git', /whitespace or control/],
    ['', /is empty/],
  ])('refuses %j', (url, reason) => {
    const failure = failureOfSync(() => validateOpsRepoUrl(url, fileAllowed));
    expect(failure.type).toBe('InvalidOpsRepo');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^opsRepo\.url /);
    expect(failure.message).toMatch(reason);
    expect(failure.message).toContain('allowed are https://');
  });

  it('refuses a password in the URL without repeating it', () => {
    const failure = failureOfSync(() => validateOpsRepoUrl('https://bot:s3cret@github.com/acme/ops.git', fileRefused));
    expect(failure.message).toMatch(/carries a password/);
    expect(failure.message).not.toContain('s3cret');
  });

  it.each([
    ['https://ghp_t0ken@github.com/acme/ops.git', /carries a user name/, 'ghp_t0ken'],
    ['https://x-access-token:ghs_s3cret@github.com/acme/ops.git', /carries a password/, 'ghs_s3cret'],
    ['https://github.com/acme/ops.git?private_token=glpat-s3cret', /has a query/, 'glpat-s3cret'],
    ['ssh://git@github.com/acme/ops.git?x=1', /has a query/, 'x=1'],
    ['https://github.com/acme/ops.git#main', /has a fragment/, undefined],
  ])('refuses credentials and extras in %s, naming the field and never repeating the secret', (url, reason, secret) => {
    const failure = failureOfSync(() => validateOpsRepoUrl(url, fileRefused));
    expect(failure.type).toBe('InvalidOpsRepo');
    expect(failure.message).toMatch(/^opsRepo\.url /);
    expect(failure.message).toMatch(reason);
    if (secret) expect(failure.message).not.toContain(secret);
  });

  it('accepts file:// only when the worker allows it', () => {
    expect(validateOpsRepoUrl('file:///srv/git/ops.git', fileAllowed)).toBe('file:///srv/git/ops.git');
    const failure = failureOfSync(() => validateOpsRepoUrl('file:///srv/git/ops.git', fileRefused));
    expect(failure.type).toBe('InvalidOpsRepo');
    expect(failure.message).toMatch(/file:\/\/ is disabled on this worker/);
  });

  it('refuses file:// URLs that name a remote host', () => {
    expect(failureOfSync(() => validateOpsRepoUrl('file://fileserver/srv/ops.git', fileAllowed)).message).toMatch(/must be local/);
  });
});

describe('validateBranch', () => {
  it.each(['main', 'release/2024-10', 'feature/x.y_z', 'v1.2.3'])('accepts %s', (branch) => {
    expect(validateBranch(branch)).toBe(branch);
  });

  it.each([
    ['-f', /starts with "-"/],
    ['--upload-pack=x', /starts with "-"/],
    ['main..dev', /contains "\.\."/],
    ['my branch', /space/],
    ['a~1', /one of ~/],
    ['a^', /one of ~/],
    ['a:b', /one of ~/],
    ['a?', /one of ~/],
    ['a*', /one of ~/],
    ['a[0]', /one of ~/],
    ['a\\b', /one of ~/],
    ['main/', /ends with "\/"/],
    ['/main', /starts or ends with "\/"/],
    ['a//b', /contains "\/\/"/],
    ['main.lock', /\.lock/],
    ['main.', /ends with "\."/],
    ['.hidden', /starting with "\."/],
    ['a/.b', /starting with "\."/],
    ['a@{1}', /@\{/],
    ['HEAD', /reserved/],
    ['', /is empty/],
  ])('refuses %j', (branch, reason) => {
    const failure = failureOfSync(() => validateBranch(branch));
    expect(failure.type).toBe('InvalidOpsRepo');
    expect(failure.message).toContain(`opsRepo.branch ${JSON.stringify(branch)}`);
    expect(failure.message).toMatch(reason);
    expect(failure.message).toContain('check-ref-format');
  });
});

describe('validateRepoPath', () => {
  it.each([
    ['envs/prod', 'envs/prod'],
    ['./envs/prod/', 'envs/prod'],
    ['envs//prod/.', 'envs/prod'],
    ['templates/app.yaml.njk', 'templates/app.yaml.njk'],
    ['dir with space/x', 'dir with space/x'],
  ])('normalises %j to %j', (input, expected) => {
    expect(validateRepoPath('manifestPath', input, { allowRoot: false })).toBe(expected);
  });

  it('accepts the repository root only where allowed', () => {
    expect(validateRepoPath('opsRepo.path', '', { allowRoot: true })).toBe('');
    expect(validateRepoPath('opsRepo.path', '.', { allowRoot: true })).toBe('');
    expect(failureOfSync(() => validateRepoPath('manifestPath', '.', { allowRoot: false })).message).toMatch(/names no file/);
  });

  it.each([
    ['../other-repo', /leaves the repository through "\.\."/],
    ['envs/../../etc/passwd', /leaves the repository/],
    ['envs\\..\\..\\x', /leaves the repository/],
    ['/etc/passwd', /is absolute/],
    ['\\\\server\\share', /is absolute/],
    ['C:/Windows', /is absolute/],
    ['a\u0000b', /control characters/],
  ])('refuses %j', (path, reason) => {
    const failure = failureOfSync(() => validateRepoPath('manifestPath', path, { allowRoot: false }));
    expect(failure.type).toBe('InvalidPath');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`manifestPath ${JSON.stringify(path)}`);
    expect(failure.message).toMatch(reason);
  });
});

describe('validateCommitSha', () => {
  it('accepts full SHA-1 and SHA-256 ids, lower-cased', () => {
    expect(validateCommitSha('pinSha', 'A'.repeat(40))).toBe('a'.repeat(40));
    expect(validateCommitSha('pinSha', 'b'.repeat(64))).toBe('b'.repeat(64));
  });

  it.each(['abc1234', 'HEAD', 'main', `${'a'.repeat(39)}g`, `--${'a'.repeat(38)}`])('refuses %j', (sha) => {
    const failure = failureOfSync(() => validateCommitSha('pinSha', sha));
    expect(failure.type).toBe('InvalidOpsRepo');
    expect(failure.message).toMatch(/^pinSha .* is not a full commit id/);
  });
});

describe('validateOpsRepoSource', () => {
  it('returns the source with its path normalised', () => {
    expect(validateOpsRepoSource({ url: 'git@github.com:acme/ops.git', branch: 'main', path: './envs/prod/' }, fileRefused)).toEqual({
      url: 'git@github.com:acme/ops.git',
      branch: 'main',
      path: 'envs/prod',
    });
  });

  it('reports the first invalid field', () => {
    const failure = failureOfSync(() => validateOpsRepoSource({ url: 'https://github.com/acme/ops', branch: 'main', path: '../x' }, fileRefused));
    expect(failure.type).toBe('InvalidPath');
    expect(failure.message).toMatch(/^opsRepo\.path "\.\.\/x"/);
  });
});
