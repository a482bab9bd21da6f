/**
 * nock for one test file. Node's `http` module is the one object every test file of a run
 * shares, and nock wraps it when loaded; unless the file takes its interception off when it
 * ends, the next file's nock wraps the wrapper, and every earlier file's interceptor, with all it
 * holds, stays reachable until the worker ends. Test files import nock from here, never from 'nock'.
 */
import nock from 'nock';

afterAll(() => nock.restore());

export default nock;
