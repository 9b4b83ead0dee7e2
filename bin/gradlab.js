#!/usr/bin/env node
/**
 * gradlab's command line: installs the prebuilt JupyterLab extension and the
 * tslab kernel into one Python environment's Jupyter, and removes them again.
 *
 *   npx gradlab install [--python PATH]
 *   npx gradlab uninstall [--python PATH]
 *
 * It touches only <sys.prefix of that Python>/share/jupyter/: the extension
 * goes to labextensions/gradlab/ (a prebuilt extension, with install.json),
 * the kernel specs to kernels/tslab/ and kernels/jslab/. The tslab used is
 * the one installed next to the user's project (resolved from the current
 * folder), so the kernel runs the version the project pins.
 */
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const EXTENSION_NAME = 'gradlab';
const KERNEL_NAMES = ['tslab', 'jslab'];

const USAGE = `Usage: gradlab <command> [--python PATH]

Commands:
  install     Install the gradlab JupyterLab extension and the tslab kernel
              into the Jupyter environment of a Python.
  uninstall   Remove them from that environment again.

Options:
  --python PATH   The Python whose environment holds JupyterLab
                  (default: python3 on PATH).
  -h, --help      Show this help.`;

class UserError extends Error {}

function parseArgs(argv) {
  const options = { command: null, python: null, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') options.help = true;
    else if (arg === '--python') {
      if (i + 1 >= argv.length) throw new UserError('--python needs a path to a Python executable.');
      options.python = argv[++i];
    } else if (arg.startsWith('--python=')) options.python = arg.slice('--python='.length);
    else if (arg.startsWith('-')) throw new UserError(`Unknown option ${arg}.`);
    else if (options.command === null) options.command = arg;
    else throw new UserError(`Unexpected argument ${arg}.`);
  }
  return options;
}

/** Facts about the Python environment: its prefix and what Jupyter packages it has. */
function inspectPython(python) {
  const probe = [
    'import importlib.util, json, sys',
    'has = lambda m: importlib.util.find_spec(m) is not None',
    'lab = None',
    'try:',
    '    import jupyterlab; lab = jupyterlab.__version__',
    'except Exception: pass',
    'print(json.dumps({"prefix": sys.prefix, "executable": sys.executable, "jupyterlab": lab,',
    '    "jupyter_client": has("jupyter_client"), "IPython": has("IPython")}))',
  ].join('\n');
  const result = childProcess.spawnSync(python, ['-c', probe], { encoding: 'utf8' });
  if (result.error) {
    throw new UserError(
      result.error.code === 'ENOENT'
        ? `Python not found: ${python}. Pass the Python of your Jupyter environment with --python PATH.`
        : `Could not run ${python}: ${result.error.message}`,
    );
  }
  if (result.status !== 0) {
    throw new UserError(`${python} failed to start:\n${result.stderr.trim()}`);
  }
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

function requireJupyterLab(env, python) {
  if (!env.jupyterlab) {
    throw new UserError(
      `JupyterLab is not installed in the environment of ${python} (${env.prefix}).\n` +
        `Install it there first (${python} -m pip install "jupyterlab>=4"), or pass another Python with --python PATH.`,
    );
  }
  const major = Number(env.jupyterlab.split('.')[0]);
  if (!(major >= 4)) {
    throw new UserError(`gradlab needs JupyterLab 4 or newer; ${env.prefix} has JupyterLab ${env.jupyterlab}.`);
  }
  if (!env.jupyter_client || !env.IPython) {
    throw new UserError(
      `tslab's kernel installer needs jupyter_client and IPython in ${env.prefix}; ` + `install them with ${python} -m pip install ipykernel.`,
    );
  }
}

/** tslab installed next to the user's project: resolved from the current folder, like the kernel does. */
function findTslab() {
  let packageJson;
  try {
    packageJson = require.resolve('tslab/package.json', { paths: [process.cwd()] });
  } catch {
    throw new UserError(
      `tslab is not installed in this project (looked from ${process.cwd()} upwards).\n` +
        'Run "npm install tslab@1.0.22" here first: the kernel runs the tslab of your project.',
    );
  }
  const dir = path.dirname(packageJson);
  const version = JSON.parse(fs.readFileSync(packageJson, 'utf8')).version;
  const bin = path.join(dir, 'bin', 'tslab');
  if (!fs.existsSync(bin)) throw new UserError(`tslab at ${dir} has no bin/tslab; reinstall it.`);
  return { dir, version, bin };
}

function labextensionDir(env) {
  return path.join(env.prefix, 'share', 'jupyter', 'labextensions', EXTENSION_NAME);
}

function install(python) {
  const env = inspectPython(python);
  requireJupyterLab(env, python);
  const tslab = findTslab();
  const built = path.join(PACKAGE_ROOT, 'gradlab', 'labextension');
  if (!fs.existsSync(path.join(built, 'package.json'))) {
    throw new UserError(`The prebuilt extension is missing from ${built}.\n` + 'In a checkout of gradlab, build it first (npm run build:extension).');
  }

  const dest = labextensionDir(env);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.cpSync(built, dest, { recursive: true });
  fs.copyFileSync(path.join(PACKAGE_ROOT, 'install.json'), path.join(dest, 'install.json'));
  console.log(`Installed the gradlab extension into ${dest}`);

  // tslab's own installer writes kernel.json for both kernels into <sys.prefix>/share/jupyter/kernels/.
  const result = childProcess.spawnSync(process.execPath, [tslab.bin, 'install', `--python=${env.executable}`, '--sys-prefix', `--binary=${tslab.bin}`], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new UserError(`tslab install failed:\n${(result.stderr || result.stdout || String(result.error)).trim()}`);
  }
  console.log(`Registered the tslab ${tslab.version} kernel (TypeScript, JavaScript) in ${path.join(env.prefix, 'share', 'jupyter', 'kernels')}`);
  console.log('Restart JupyterLab and reload the page to use them.');
}

function uninstall(python) {
  const env = inspectPython(python);
  const dest = labextensionDir(env);
  const removed = [];
  if (fs.existsSync(dest)) {
    fs.rmSync(dest, { recursive: true, force: true });
    removed.push(dest);
  }
  for (const name of KERNEL_NAMES) {
    const dir = path.join(env.prefix, 'share', 'jupyter', 'kernels', name);
    const spec = path.join(dir, 'kernel.json');
    if (!fs.existsSync(spec)) continue;
    // Remove only a tslab kernel spec, never another kernel that happens to share the name.
    const argv = JSON.parse(fs.readFileSync(spec, 'utf8')).argv || [];
    if (!/tslab/.test(String(argv[0]))) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  // The folders install made on the way (share/jupyter/labextensions, …/kernels, share/jupyter, share)
  // go too when nothing else is left in them; a folder still holding anything stays.
  for (const dir of [
    path.join(env.prefix, 'share', 'jupyter', 'labextensions'),
    path.join(env.prefix, 'share', 'jupyter', 'kernels'),
    path.join(env.prefix, 'share', 'jupyter'),
    path.join(env.prefix, 'share'),
  ]) {
    if (removeIfEmpty(dir)) removed.push(dir);
  }
  console.log(removed.length ? `Removed:\n  ${removed.join('\n  ')}` : `Nothing of gradlab's was installed in ${env.prefix}.`);
}

/** Removes `dir` when it exists and is empty; true when it did. */
function removeIfEmpty(dir) {
  try {
    if (fs.readdirSync(dir).length > 0) return false;
    fs.rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

function main(argv) {
  const options = parseArgs(argv);
  if (options.help || options.command === null) {
    console.log(USAGE);
    return options.help ? 0 : 2;
  }
  const python = options.python || 'python3';
  if (options.command === 'install') install(python);
  else if (options.command === 'uninstall') uninstall(python);
  else throw new UserError(`Unknown command "${options.command}".\n\n${USAGE}`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UserError)) throw error;
  console.error(`gradlab: ${error.message}`);
  process.exitCode = 1;
}
