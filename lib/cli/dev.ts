// Development entry: `npx tsx lib/cli/dev.ts exercise --quick` runs the CLI from source (bin/ runs dist/).
import { main } from './main';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
