/*
 * Starts GraphiQL (loaded before this file from the gateway's own copies of React, ReactDOM and
 * GraphiQL) with the example tabs and settings the page carries in #playground-config.
 * Plain browser JavaScript, served as is: no build step.
 */
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('playground-config').textContent);

  // Tabs saved for older examples or an older development token would reopen stale IDs or an
  // expired token: drop them. Storage may be unavailable (private windows); then tabs just are not kept.
  try {
    Object.keys(window.localStorage).forEach(function (key) {
      if (key.indexOf('vn-gateway-playground:') === 0 && key.indexOf(config.storageNamespace + ':') !== 0) {
        window.localStorage.removeItem(key);
      }
    });
  } catch (_) {
    /* no storage: nothing to clean */
  }

  function hasSavedTabs(namespace) {
    try {
      return window.localStorage.getItem(namespace + ':graphiql:tabState') !== null;
    } catch (_) {
      return false;
    }
  }

  // The schema docs say which catalogued procedures may read each field: the introspection
  // answer's field descriptions get a line naming them.
  function readersOf(typeName, fieldName) {
    return (config.procedures || []).filter(function (procedure) {
      return procedure.fields.indexOf(typeName + '.' + fieldName) >= 0 || procedure.fields.indexOf(typeName + '.*') >= 0;
    });
  }
  function annotate(result) {
    var schema = result && result.data && result.data.__schema;
    if (!schema || !schema.types) return result;
    schema.types.forEach(function (type) {
      (type.fields || []).forEach(function (field) {
        var readers = readersOf(type.name, field.name);
        if (readers.length === 0) return;
        var names = readers.map(function (p) { return p.name + ' (' + p.code + ')'; }).join('; ');
        field.description = (field.description ? field.description + '\n\n' : '') + 'Thủ tục được đọc (read by procedures): ' + names + '.';
      });
    });
    return result;
  }
  var baseFetcher = GraphiQL.createFetcher({ url: new URL(config.endpoint, window.location.href).toString() });
  function fetcher(params, options) {
    var answer = baseFetcher(params, options);
    return answer && typeof answer.then === 'function' ? answer.then(annotate) : answer;
  }

  var props = {
    fetcher: fetcher,
    defaultTabs: config.tabs,
    storage: GraphiQL.createLocalStorage({ namespace: config.storageNamespace }),
    shouldPersistHeaders: config.persistHeaders,
    defaultEditorToolsVisibility: 'variables',
    isHeadersEditorEnabled: true,
  };
  // Without introspection there is no schema to fetch; asking would only show an error.
  if (!config.introspection) props.schema = null;
  // GraphiQL 3.9 fills the editors from the first default tab's query only, not its variables or
  // headers (so the token would be missing): on a first visit, hand it the first tab whole.
  if (config.tabs.length > 0 && !hasSavedTabs(config.storageNamespace)) {
    props.query = config.tabs[0].query;
    props.variables = config.tabs[0].variables;
    props.headers = config.tabs[0].headers;
  }

  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, props));
})();
