@_exported import VTPTestSupport
