import Hummingbird

