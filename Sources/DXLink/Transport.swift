import NIOCore
import WSClient
import NIOWebSocket
import NIOHTTP1
import NIOPosix
