// The shared queue suite against the embedded queue.
import { startEmbedded } from './helpers';
import { protocolSuite } from './protocol.suite';
import { clientsSuite } from './clients.suite';

protocolSuite('embedded', (o) => startEmbedded(o));
clientsSuite('embedded', (o) => startEmbedded(o));
