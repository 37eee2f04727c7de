// The HTTP server lives here: OGC API – Features for map clients, the dispatch API, live updates and
// access control (the server issue). The target exists now so that the dependency chain
// Geo ← Grid ← Cases ← Server ← wangge is in place from the start.
import Cases
