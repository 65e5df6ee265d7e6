// Jest transform: TypeScript and the ESM-only dependencies compiled to CommonJS by esbuild
// (already a dependency for bundling). `import()` is lowered to `require()` because Jest's
// CommonJS runtime cannot evaluate ES modules.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node22',
      platform: 'node',
      sourcemap: 'external',
      sourcefile: filename,
      supported: { 'dynamic-import': false },
    });
    return { code, map };
  },
};
