import { expect, test } from '@playwright/test';
import { networkInterfaces } from 'node:os';
import { startTestServer } from '../src-server/testing/test-server.ts';
import { openApp } from './harness/app-harness.ts';
import { commitViaApi, snap } from './harness/ui-steps.ts';

test('add a remote Press Cloud: a wrong key is refused in words and never shown again; the right one selects it', async ({
  browser,
}) => {
  const app = await openApp(browser);
  const remote = await startTestServer();
  try {
    const { page } = app;
    await page.getByRole('button', { name: 'Add target…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a target' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole('radio', { name: 'Press Cloud' })).toBeFocused();
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog.getByText('Enter the Press Cloud’s address, e.g. https://press.example.com.')).toBeVisible();

    await dialog.getByLabel('Name').fill('Team Cloud');
    await dialog.getByLabel('URL').fill(remote.url);
    await dialog.getByLabel('API key').fill('pcak_thisIsNotTheRightKey');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog.getByRole('alert')).toContainText('Press Cloud refused the API key.');
    await expect(dialog.getByText('An API key starts with pcak_')).toBeHidden();
    // The key is not kept in the form after it was sent.
    await expect(dialog.getByLabel('API key')).toHaveValue('');
    await expect(dialog.getByLabel('API key')).toHaveAttribute('type', 'password');
    await snap(page, 'add-target');

    await dialog.getByLabel('API key').fill(remote.apiKey);
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByLabel('Deploy to')).toHaveValue(/^target-/);
    await expect(page.getByRole('option', { name: 'Team Cloud' })).toBeAttached();
    await expect(page.getByText('this computer’s Press Cloud')).toBeHidden();
    await expect(page.getByRole('region', { name: 'Drop a folder here to deploy it' })).toContainText('Team Cloud');

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'History' }).click();
    await expect(page.getByRole('heading', { name: 'Deploys on Team Cloud' })).toBeVisible();
    await expect(page.getByText('Nothing is deployed here yet.')).toBeVisible();

    await page.getByRole('button', { name: 'Remove' }).click();
    await expect(page.getByLabel('Deploy to')).toHaveValue('local');
    await expect(page.getByRole('heading', { name: 'Deploys on this computer' })).toBeVisible();
  } finally {
    await app.close();
    await remote.close();
  }
});

test('no keychain (basic_text): the dialog warns before a key is typed, and adds only after “Store it anyway”', async ({
  browser,
}) => {
  const app = await openApp(browser, { keyStorage: 'basic_text' });
  const remote = await startTestServer();
  try {
    const { page } = app;
    const handbook = (
      await remote.request('POST', '/v1/deploys', { json: { slug: 'handbook', name: 'Team Handbook' } })
    ).body.deploy;
    await commitViaApi(remote, handbook.id, 'Handbook');

    await page.getByRole('button', { name: 'Add target…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a target' });
    // Said before anything is typed, and the key field does not promise a keychain.
    await expect(dialog).toContainText('This system has no keychain PressDrop can use.');
    await expect(dialog).toContainText('The API key would be stored obfuscated, not encrypted');
    await expect(
      dialog.getByText('Stored obfuscated on this computer, not encrypted; PressDrop never shows it again.'),
    ).toBeVisible();
    await expect(dialog.getByText(/Kept in your system keychain/)).toHaveCount(0);
    await expect(dialog.getByRole('radio', { name: 'Press Cloud' })).toBeFocused();

    await dialog.getByLabel('Name').fill('Team Cloud');
    await dialog.getByLabel('URL').fill(remote.url);
    await dialog.getByLabel('API key').fill(remote.apiKey);
    // Enter, as a keyboard user submits, asks; it does not add.
    await dialog.getByLabel('API key').press('Enter');
    const question = dialog.getByRole('group', { name: 'Store this API key obfuscated, not encrypted?' });
    await expect(question).toBeVisible();
    await expect(question.getByRole('button', { name: 'Back' })).toBeFocused();
    await expect(dialog.getByRole('button', { name: 'Add' })).toHaveCount(0);
    await snap(page, 'add-target-no-keychain');
    // A second Enter answers the focused, safe button: still nothing added.
    await page.keyboard.press('Enter');
    await expect(question).toBeHidden();
    await expect(dialog.getByRole('button', { name: 'Add' })).toBeFocused();
    await expect(dialog.getByLabel('API key')).toHaveValue(remote.apiKey);
    expect(app.requests).not.toContain('targets.add');
    await expect(page.getByRole('option', { name: 'Team Cloud' })).toHaveCount(0);

    await dialog.getByRole('button', { name: 'Add' }).click();
    await question.getByRole('button', { name: 'Store it anyway' }).click();
    await expect(dialog).toBeHidden();
    expect(app.requests.filter((name) => name === 'targets.add')).toHaveLength(1);
    await expect(page.getByLabel('Deploy to')).toHaveValue(/^target-/);
    await expect(page.getByRole('option', { name: 'Team Cloud' })).toBeAttached();
    await expect(page.getByRole('region', { name: 'Drop a folder here to deploy it' })).toContainText('Team Cloud');

    // The stored key works: the remote's deploys are listed with it.
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'History' }).click();
    await expect(page.getByRole('heading', { name: 'Deploys on Team Cloud' })).toBeVisible();
    await expect(page.getByRole('button', { name: /Team Handbook/ })).toBeVisible();

    // Nowhere in the page: not in its text, its markup, nor a field's value.
    const everything = await page.evaluate(() =>
      [
        document.documentElement.outerHTML,
        document.body.innerText,
        ...Array.from(document.querySelectorAll('input, textarea'), (field) => (field as HTMLInputElement).value),
      ].join('\n'),
    );
    expect(everything).not.toContain(remote.apiKey);
  } finally {
    await app.close();
    await remote.close();
  }
});

test('no safe place for keys (unavailable): the dialog says so before anything is typed, and nothing is added', async ({
  browser,
}) => {
  const app = await openApp(browser, { keyStorage: 'unavailable' });
  try {
    const { page } = app;
    await page.getByRole('button', { name: 'Add target…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a target' });
    await expect(dialog).toContainText('PressDrop cannot add a target on this system.');
    await expect(dialog).toContainText('It offers no safe place to keep an API key');
    await expect(dialog).toContainText('Deploys to this computer’s Press Cloud keep working.');
    // No form to fill in for nothing.
    await expect(dialog.getByLabel('API key')).toHaveCount(0);
    await expect(dialog.getByRole('button', { name: 'Add' })).toHaveCount(0);
    await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
    await snap(page, 'add-target-no-key-storage');

    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
    expect(app.requests).not.toContain('targets.add');
    await expect(page.getByLabel('Deploy to').getByRole('option')).toHaveCount(1);
    await expect(page.getByLabel('Deploy to')).toHaveValue('local');
  } finally {
    await app.close();
  }
});

test('plain http:// to another machine: the dialog says what it risks and adds nothing until plain HTTP is allowed on purpose', async ({
  browser,
}) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    await page.getByRole('button', { name: 'Add target…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a target' });
    await dialog.getByLabel('Name').fill('Lab server');
    await dialog.getByLabel('URL').fill('http://press.lab.example:8080');
    await dialog.getByLabel('API key').fill('pcak_labKeyNeverSentOverHttp');
    await expect(dialog.getByText('This address is not encrypted.')).toBeVisible();
    const allow = dialog.getByLabel('Allow plain HTTP to press.lab.example:8080 anyway');
    await expect(allow).not.toBeChecked();
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog.getByText('Use https://, or allow plain HTTP below.')).toBeVisible();
    expect(app.requests).not.toContain('targets.add');
    await snap(page, 'add-target-plain-http');

    // Consent is for that host only; allowed, the request goes to main, which asks the server there. On
    // this machine's own network address, where nothing serves that port, the refusal is the network's.
    await allow.check();
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((address) => address?.family === 'IPv4' && !address.internal)?.address;
    if (lan) {
      await dialog.getByLabel('URL').fill(`http://${lan}:9`);
      const allowLan = dialog.getByLabel(`Allow plain HTTP to ${lan}:9 anyway`);
      await expect(allowLan).not.toBeChecked();
      await allowLan.check();
      await dialog.getByLabel('API key').fill('pcak_labKeyNeverSentOverHttp');
      await dialog.getByRole('button', { name: 'Add' }).click();
      await expect.poll(() => app.requests.filter((name) => name === 'targets.add').length).toBe(1);
      await expect(dialog.getByRole('alert')).toContainText('could not reach the server');
    }

    // An https:// address, or this computer over http, needs no such consent.
    await dialog.getByLabel('URL').fill('https://press.lab.example');
    await expect(dialog.getByText('This address is not encrypted.')).toBeHidden();
    await dialog.getByLabel('URL').fill('http://127.0.0.1:5480');
    await expect(dialog.getByText('This address is not encrypted.')).toBeHidden();
  } finally {
    await app.close();
  }
});
