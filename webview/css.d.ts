// esbuild bundles imported CSS into dist/webview.css; for TypeScript the import has no value.
declare module '*.css';
